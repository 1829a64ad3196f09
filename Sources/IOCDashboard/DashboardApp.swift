public import IOCCore
import IOCQuery

/// The interactive dashboard as a plain value, tested without a terminal: keys in, actions out.
/// Arrows or hjkl move (left/right between panels, up/down within one), Tab switches dashboards,
/// Enter drills into the selected province or target, Esc goes back, `/` filters by label, `t`
/// changes the time range, `s` silences the selected alert (duration and comment asked on the
/// prompt line), `a` goes to the alerts, `p` pauses, `?` helps, `q` quits.
public struct DashboardApp: Sendable {
    public enum Mode: Sendable, Equatable {
        case normal
        case filter(String)
        case silenceDuration(String)
        case silenceComment(duration: Duration, text: String)
        case help
    }

    public enum Action: Sendable, Equatable {
        case quit, suspend, redraw
        /// Load the data again now (the view changed).
        case refresh
        /// Add a silence: matchers as `{a="b",...}`.
        case silence(matchers: String, duration: Duration, comment: String)
    }

    public var screens: [DashboardScreen]
    public var current = 0
    /// The drill-down over the current dashboard, if open.
    public var details: DashboardScreen?
    public var mode = Mode.normal
    /// A line of feedback (a silence added, an error), shown until the next key.
    public var message: String?
    /// The data of the screen shown, as last loaded.
    public var data: [[PanelData]] = []
    private var silenceTarget: AlertRow?

    public static let ranges: [Duration] = [
        .seconds(900), .seconds(3_600), .seconds(21_600), .seconds(86_400), .seconds(604_800), .seconds(2_592_000),
    ]

    public init(screens: [DashboardScreen], selected: String? = nil) {
        self.screens = screens
        current = selected.flatMap { name in screens.firstIndex { $0.dashboard.name == name } } ?? 0
    }

    public var shown: DashboardScreen {
        get { details ?? screens[current] }
        set {
            if details != nil { details = newValue } else { screens[current] = newValue }
        }
    }

    public mutating func handle(_ key: Key) -> [Action] {
        message = nil
        switch mode {
        case .filter(let text):
            return prompt(key, text) { app, text in
                app.shown.filter = text
                app.shown.selection = nil
                app.mode = .normal
                return [.refresh]
            } update: { app, text in
                app.mode = .filter(text)
            }
        case .silenceDuration(let text):
            return prompt(key, text) { app, text in
                guard let duration = Duration(prometheus: text.isEmpty ? "2h" : text), duration > .zero else {
                    app.message = app.shown.language.localized("app.bad_duration", ["text": text])
                    app.mode = .normal
                    return [.redraw]
                }
                app.mode = .silenceComment(duration: duration, text: "")
                return [.redraw]
            } update: { app, text in
                app.mode = .silenceDuration(text)
            }
        case .silenceComment(let duration, let text):
            return prompt(key, text) { app, text in
                app.mode = .normal
                guard let target = app.silenceTarget, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                    app.message = app.shown.language.localized("app.silence_needs_comment")
                    return [.redraw]
                }
                let matchers = target.labels.pairs.filter { $0.name != "severity" }
                    .map { "\($0.name)=\(LabelMatcher.quote($0.value))" }.joined(separator: ",")
                return [.silence(matchers: "{" + matchers + "}", duration: duration, comment: text)]
            } update: { app, text in
                app.mode = .silenceComment(duration: duration, text: text)
            }
        case .help:
            mode = .normal
            return [.redraw]
        case .normal:
            return normal(key)
        }
    }

    /// A line of text typed at the prompt: Enter accepts, Esc cancels, Backspace deletes.
    private mutating func prompt(
        _ key: Key, _ text: String, accept: (inout DashboardApp, String) -> [Action],
        update: (inout DashboardApp, String) -> Void
    ) -> [Action] {
        switch key {
        case .enter: return accept(&self, text)
        case .escape, .control("c"):
            mode = .normal
            return [.redraw]
        case .backspace:
            update(&self, String(text.dropLast()))
        case .character(let character):
            // Typed text is shown on the prompt line: nothing that could act on the terminal.
            if let scalar = character.unicodeScalars.first, scalar.value >= 0x20, text.count < 200 {
                update(&self, text + String(character))
            }
        default: break
        }
        return [.redraw]
    }

    private mutating func normal(_ key: Key) -> [Action] {
        switch key {
        case .character("q"), .control("c"): return [.quit]
        case .control("z"): return [.suspend]
        case .control("l"): return [.redraw]
        case .character("?"):
            mode = .help
            return [.redraw]
        case .character("/"):
            mode = .filter(shown.filter)
            return [.redraw]
        case .character("p"):
            shown.paused.toggle()
            return [.redraw]
        case .character("z"), .character("v"), .character("V"):
            return view(key)
        case .character("o"):
            // A table's order: largest or smallest first.
            let (row, panel) = shown.focus
            guard shown.dashboard.rows[row].panels[panel].widget == .table else {
                message = shown.language.localized("app.sort_needs_table")
                return [.redraw]
            }
            shown.toggleOrder(row: row, panel: panel)
            shown.selection = nil
        case .character("t"):
            let index = DashboardApp.ranges.firstIndex(of: shown.timeRange) ?? 0
            shown.timeRange = DashboardApp.ranges[(index + 1) % DashboardApp.ranges.count]
            return [.refresh]
        case .tab, .backTab:
            details = nil
            current = (current + (key == .tab ? 1 : screens.count - 1)) % max(1, screens.count)
            return [.refresh]
        case .escape:
            if shown.zoomed {
                shown.zoomed = false
                return [.redraw]
            }
            if details != nil {
                details = nil
                return [.refresh]
            }
            if !shown.filter.isEmpty {
                shown.filter = ""
                return [.refresh]
            }
            return []
        case .left, .character("h"): moveFocus(by: -1)
        case .right, .character("l"): moveFocus(by: 1)
        case .up, .character("k"): moveSelection(by: -1)
        case .down, .character("j"): moveSelection(by: 1)
        case .pageUp: moveSelection(by: -10)
        case .pageDown: moveSelection(by: 10)
        case .character("a"):
            guard let position = panels.firstIndex(where: { shown.dashboard.rows[$0.0].panels[$0.1].widget == .alerts })
            else {
                message = shown.language.localized("app.no_alert_list")
                return [.redraw]
            }
            shown.focus = panels[position]
            shown.selection = 0
            shown.selected = items.first
        case .character("s"):
            guard case .alerts(let alerts)? = focusedData, let index = shown.selection, index < alerts.count else {
                message = shown.language.localized("app.select_alert")
                return [.redraw]
            }
            silenceTarget = alerts[index]
            mode = .silenceDuration("2h")
        case .enter:
            return drillDown()
        default: return []
        }
        return [.redraw]
    }

    /// `z` zooms the focused panel (or opens one that did not fit); `v`/`V` step the variable.
    private mutating func view(_ key: Key) -> [Action] {
        if key == .character("z") {
            shown.zoomed.toggle()
            return [.redraw]
        }
        guard shown.cycleVariable(by: key == .character("v") ? 1 : -1) else {
            message = shown.language.localized("app.no_variable")
            return [.redraw]
        }
        return [.refresh]
    }

    /// (row, panel) of every panel, in reading order.
    private var panels: [(Int, Int)] {
        shown.dashboard.rows.enumerated().flatMap { row, item in item.panels.indices.map { (row, $0) } }
    }

    private var focusedData: PanelData? {
        let (row, panel) = shown.focus
        return row < data.count && panel < data[row].count ? data[row][panel] : nil
    }

    private var focusedPanel: DashboardFile.Panel {
        shown.dashboard.rows[shown.focus.row].panels[shown.focus.panel]
    }

    private mutating func moveFocus(by step: Int) {
        let all = panels
        guard let index = all.firstIndex(where: { $0 == shown.focus }) else { return }
        shown.focus = all[(index + step + all.count) % all.count]
        shown.selection = nil
    }

    /// The selectable items of the focused panel: grid rows, table rows, alerts.
    private var items: [Labels] {
        switch focusedData {
        case .alerts(let alerts)?: return alerts.map(\.labels)
        case .table(let elements, _)?: return Widgets.sortedElements(elements, panel: focusedPanel).map(\.labels)
        case .instant(let elements)?:
            let panel = focusedPanel
            if panel.widget == .statusGrid {
                let rows = Widgets.rowOrder(elements, panel: panel)
                return rows.map { Labels([(panel.rowsLabel, $0)]) }
            }
            if panel.widget == .table { return Widgets.sortedElements(elements, panel: panel).map(\.labels) }
            return []
        default: return []
        }
    }

    private mutating func moveSelection(by step: Int) {
        let items = self.items
        guard !items.isEmpty else { return }
        let index = min(items.count - 1, max(0, (shown.selection ?? (step > 0 ? -1 : items.count)) + step))
        shown.selection = index
        shown.selected = items[index]
    }

    /// After new data: the selection moves to where its item now is, so that the highlighted line
    /// stays on the province (target, alert) the operator chose while the panel re-sorts. An item
    /// that is gone leaves the selection at the same place, on whatever is there now.
    public mutating func followSelection() {
        guard let index = shown.selection else { return }
        let items = self.items
        guard !items.isEmpty else { return }
        if let selected = shown.selected, let moved = items.firstIndex(of: selected) {
            shown.selection = moved
        } else {
            let kept = min(index, items.count - 1)
            shown.selection = kept
            shown.selected = items[kept]
        }
    }

    /// Enter on a selected province, target or alert: its details, over the time range shown.
    private mutating func drillDown() -> [Action] {
        guard let index = shown.selection, index < items.count else {
            message = shown.language.localized("app.select_row")
            return [.redraw]
        }
        let labels = items[index]
        guard
            let (name, value) = ["instance", "province", "service", "job"].lazy
                .compactMap({ name in labels[name].map { (name, $0) } }).first
        else {
            message = shown.language.localized("app.nothing_for_row")
            return [.redraw]
        }
        var screen = DashboardScreen(
            dashboard: DashboardApp.detailsDashboard(label: name, value: value, shown.language), source: shown.source,
            language: shown.language)
        screen.timeRange = shown.timeRange
        screen.muting = shown.muting
        details = screen
        return [.refresh]
    }

    /// The drill-down of one label value: availability, status over time, probe phases, the
    /// targets with their last failure reason, certificate days left, alerts.
    static func detailsDashboard(label: String, value: String, _ language: Language) -> DashboardFile {
        let selector = "\(label)=\(LabelMatcher.quote(value))"
        func panel(
            _ title: String, _ widget: DashboardFile.Widget, _ query: String?, unit: DashboardFile.Unit = .plain,
            legend: String? = nil, width: Int = 1, thresholds: [DashboardFile.Threshold] = [], ascending: Bool = false
        ) -> DashboardFile.Panel {
            DashboardFile.Panel(
                title: title, width: width, widget: widget, query: query.flatMap { try? Query(parsing: $0) },
                unit: unit,
                legend: legend, thresholds: thresholds, rowsLabel: "service", columnsLabel: "job", ascending: ascending,
                limit: nil, minimum: 0, maximum: 2, text: "")
        }
        let health: [DashboardFile.Threshold] = [
            .init(value: 0, color: .red), .init(value: 95, color: .yellow), .init(value: 99, color: .green),
        ]
        return DashboardFile(
            name: "details", title: language.localized("dash.details", ["selector": "\(label)=\(value)"]),
            rows: [
                DashboardFile.Row(
                    height: 1,
                    panels: [
                        panel(
                            "Sẵn sàng / Available", .stat, "avg(probe_success{\(selector)}) * 100", unit: .percent,
                            thresholds: health),
                        panel("Trạng thái / Status over time", .sparkline, "avg(probe_success{\(selector)})", width: 2),
                        panel(
                            "Chứng chỉ / Certificate days left", .stat,
                            "min((probe_ssl_earliest_cert_expiry{\(selector)} - time()) / 86400)", unit: .days,
                            thresholds: [
                                .init(value: 0, color: .red), .init(value: 7, color: .yellow),
                                .init(value: 30, color: .green),
                            ]),
                    ]),
                DashboardFile.Row(
                    height: 2,
                    panels: [
                        panel(
                            "Các pha / Probe phases", .lineChart,
                            "avg by (phase) (probe_http_duration_seconds{\(selector)})", unit: .seconds,
                            legend: "{{phase}}", width: 2),
                        panel(
                            "Mục tiêu / Targets", .table, "probe_success{\(selector)}",
                            legend: "{{service}} {{instance}}",
                            thresholds: [.init(value: 0, color: .red), .init(value: 1, color: .green)], ascending: true),
                    ]),
                DashboardFile.Row(
                    height: 1,
                    panels: [
                        panel(
                            "Lỗi gần nhất / Last failure reason", .table, "probe_failed_due_to{\(selector)} == 1",
                            legend: "{{service}} {{reason}}"),
                        {
                            var alerts = panel("Cảnh báo / Alerts", .alerts, nil)
                            // Only the alerts of what was drilled into.
                            alerts.matchers = [try? LabelMatcher(label, .equal, value)].compactMap { $0 }
                            return alerts
                        }(),
                    ]),
            ], timeRange: .seconds(3_600), file: "(details)")
    }

    /// The screen shown, with the prompt line or the help over it.
    public func draw(_ canvas: inout Canvas, newest: Int64?, now: Int64, silenced: (Labels) -> Bool) {
        draw(&canvas, freshness: Freshness(newest: newest), now: now, silenced: silenced)
    }

    /// The screen shown, with how fresh its figures are.
    public func draw(_ canvas: inout Canvas, freshness: Freshness, now: Int64, silenced: (Labels) -> Bool) {
        shown.draw(data, freshness: freshness, now: now, into: &canvas, silenced: silenced)
        let bottom = canvas.height - 1
        func line(_ text: String, _ style: CellStyle) {
            canvas.fill(row: bottom, style: style)
            canvas.write(text, x: 0, y: bottom, style: style, maxWidth: canvas.width)
        }
        let language = shown.language
        switch mode {
        case .filter(let text):
            line(language.localized("app.filter_prompt", ["text": text]), CellStyle(reverse: true))
        case .silenceDuration(let text):
            line(language.localized("app.silence_for", ["name": silenceName, "text": text]), CellStyle(reverse: true))
        case .silenceComment(let duration, let text):
            line(
                language.localized(
                    "app.silence_because", ["name": silenceName, "duration": duration.prometheusString, "text": text]),
                CellStyle(reverse: true))
        case .help: DashboardApp.help(&canvas, language)
        case .normal:
            if let message { line(" \(message)", CellStyle(foreground: .yellow, bold: true)) }
        }
    }

    private var silenceName: String {
        guard let target = silenceTarget else { return "" }
        return [target.labels["alertname"], target.labels["province"], target.labels["service"]].compactMap { $0 }
            .joined(separator: " ")
    }

    static func helpLines(_ language: Language) -> [String] {
        [
            "help.move_panels", "help.move_rows", "help.tab", "help.enter", "help.escape", "help.filter", "help.range",
            "help.alerts", "help.silence", "help.variable", "help.zoom", "help.zoom2", "help.sort", "help.pause",
            "help.quit", "", "help.close",
        ].map { $0.isEmpty ? "" : language.localized($0) }
    }

    static func help(_ canvas: inout Canvas, _ language: Language) {
        let helpLines = helpLines(language)
        let width = min(canvas.width - 2, 50)
        let height = min(canvas.height - 2, helpLines.count + 2)
        let rect = Rect(x: (canvas.width - width) / 2, y: (canvas.height - height) / 2, width: width, height: height)
        for row in rect.y..<(rect.y + rect.height) {
            canvas.write(String(repeating: " ", count: rect.width), x: rect.x, y: row)
        }
        Widgets.box(language.localized("help.title"), in: rect, on: &canvas, focused: true)
        for (index, text) in helpLines.prefix(rect.height - 2).enumerated() {
            canvas.write(text, x: rect.x + 2, y: rect.y + 1 + index, maxWidth: rect.width - 4)
        }
    }
}

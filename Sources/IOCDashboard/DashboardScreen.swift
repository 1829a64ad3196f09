import Foundation
public import IOCCore
public import IOCQuery
public import IOCStore

/// One frame of a dashboard from a file: a header (title, time, data source, how old the newest data
/// is), a banner when the daemon has stopped writing, the rows of panels, and a line of keys.
public struct DashboardScreen: Sendable {
    /// The dashboard shown: `template` with the variables' values put in.
    public private(set) var dashboard: DashboardFile
    /// The dashboard as its file wrote it, with `$variables`.
    public private(set) var template: DashboardFile
    /// Each variable's value, and the values it can take (from the data, Vietnamese alphabetical order).
    public private(set) var values: [String: String] = [:]
    public private(set) var options: [String: [String]] = [:]
    /// The focused panel drawn over the whole screen (`z`).
    public var zoomed = false
    /// Why a firing alert is muted besides a silence (an inhibition, a maintenance window), as the
    /// notifier decides from the daemon's configuration: given its labels, the firing alerts' and now.
    public var muting: (@Sendable (Labels, [Labels], Int64) -> String?)?
    public var source: String
    /// The time range of charts (`t` changes it); the dashboard's own by default.
    public var timeRange: Duration
    /// The focused panel (row, panel) and the selected line in it, if any.
    public var focus: (row: Int, panel: Int) = (0, 0)
    /// The selected line's index in the focused panel, and what it is (its labels): when a refresh
    /// re-sorts the panel, the selection follows the item, not the index.
    public var selection: Int? {
        didSet { if selection == nil { selected = nil } }
    }
    public var selected: Labels?
    /// Only series whose labels contain this text (`/` filter), when set.
    public var filter: String = "" {
        didSet { foldedFilter = TextFolding.folded(filter) }
    }
    /// `filter` folded once (`TextFolding`), not for every row it is matched against.
    private var foldedFilter = ""
    public var paused = false
    /// The language of the screen's words and of alerts' summaries (`summary` or `summary_en`).
    public var language: Language

    public init(dashboard: DashboardFile, source: String, values: [String: String] = [:], language: Language = .vi) {
        self.template = dashboard
        self.source = source
        self.language = language
        self.values = values
        self.dashboard = dashboard.resolved(values)
        timeRange = dashboard.timeRange
    }

    /// Reads the values each variable can take; a variable without a value (or whose value is gone
    /// from the data) takes its default, else the first value.
    public mutating func loadVariables(from backend: any DashboardBackend, now: Int64) {
        guard !template.variables.isEmpty else { return }
        var changed = false
        for variable in template.variables {
            guard let query = variable.valuesQuery,
                case .vector(let elements)? = try? backend.instant(query, at: now)
            else { continue }
            let found = TextFolding.sortedAlphabetically(Set(elements.compactMap { $0.labels[variable.label] }))
            options[variable.name] = found
            if let value = values[variable.name], found.contains(value) || found.isEmpty { continue }
            guard let chosen = variable.defaultValue.flatMap({ found.contains($0) ? $0 : nil }) ?? found.first,
                chosen != values[variable.name]
            else { continue }
            values[variable.name] = chosen
            changed = true
        }
        if changed { dashboard = template.resolved(values) }
    }

    /// The first variable's next (or previous) value: `v` and `V`.
    public mutating func cycleVariable(by step: Int) -> Bool {
        guard let variable = template.variables.first, let choices = options[variable.name], !choices.isEmpty else {
            return false
        }
        let index = values[variable.name].flatMap { choices.firstIndex(of: $0) } ?? -step
        values[variable.name] = choices[((index + step) % choices.count + choices.count) % choices.count]
        let order = dashboard.rows.map { $0.panels.map(\.ascending) }
        dashboard = template.resolved(values)
        // What the operator changed (a table's order) stays.
        for (row, panels) in order.enumerated() {
            for (index, ascending) in panels.enumerated() { dashboard.rows[row].panels[index].ascending = ascending }
        }
        selection = nil
        return true
    }

    /// A table's order, largest or smallest first (`o`).
    public mutating func toggleOrder(row: Int, panel: Int) {
        dashboard.rows[row].panels[panel].ascending.toggle()
    }

    /// The data of every panel at `now`, read through `reader`.
    public func load(from reader: StoreReader, now: Int64, engine: Engine = Engine()) -> [[PanelData]] {
        load(from: LocalBackend(reader: reader, engine: engine), now: now)
    }

    /// The data of every panel at `now`, from `backend`.
    public func load(from backend: any DashboardBackend, now: Int64) -> [[PanelData]] {
        let reader = backend
        let silences = ((try? reader.silences()) ?? []).filter {
            $0.isActive(at: now)
        }
        return dashboard.rows.map { row in
            row.panels.map { panel in load(panel, from: reader, now: now, silences: silences) }
        }
    }

    /// The data of the panels whose refresh interval has passed since `loadedAt` (all of them when
    /// `data` does not fit the dashboard), keeping the others'. Returns when the next one is due.
    /// `silences` are those active now, which the caller reads once per refresh for the grid too.
    func refresh(
        _ data: inout [[PanelData]], loadedAt: inout [[Int64]], from reader: any DashboardBackend, now: Int64,
        silences: [Silence]
    ) -> Int64 {
        let shape = dashboard.rows.map(\.panels.count)
        if data.map(\.count) != shape || loadedAt.map(\.count) != shape {
            data = shape.map { Array(repeating: PanelData.failure(language.localized("dash.loading")), count: $0) }
            loadedAt = shape.map { Array(repeating: Int64.min, count: $0) }
        }
        var next = Int64.max
        for (row, item) in dashboard.rows.enumerated() {
            for (index, panel) in item.panels.enumerated() {
                let interval = panel.refreshInterval.inMilliseconds
                if loadedAt[row][index] == .min || now - loadedAt[row][index] >= interval {
                    data[row][index] = load(panel, from: reader, now: now, silences: silences)
                    loadedAt[row][index] = now
                }
                next = min(next, loadedAt[row][index] + interval)
            }
        }
        return next
    }

    private func load(
        _ panel: DashboardFile.Panel, from reader: any DashboardBackend, now: Int64, silences: [Silence]
    ) -> PanelData {
        if let problem = panel.problem { return .failure(problem) }
        // An alert list or log shows the alerts its matchers scope it to (a province's own).
        let inScope = { (labels: Labels) in panel.matchers?.allSatisfy { $0.matches(labels) } ?? true }
        switch panel.widget {
        case .text: return .text(panel.text)
        case .log:
            let entries = ((try? reader.alertHistory(through: now, limit: 200)) ?? []).reversed()
            return .log(
                entries.filter { inScope($0.labels) && matchesFilter($0.labels) }.map { entry in
                    LogLine(
                        time: entry.time, change: entry.kind, labels: entry.labels,
                        summary: language.summary(entry.annotations))
                })
        case .alerts:
            let all = (try? reader.alerts()) ?? []
            let firing = all.filter { $0.state == .firing }.map(\.labels)
            let alerts = all.filter { $0.state != .inactive && inScope($0.labels) && matchesFilter($0.labels) }
            return .alerts(
                alerts.map { alert in
                    let mute =
                        silences.contains { $0.silences(alert.labels) }
                        ? "silenced" : alert.state == .firing ? muting?(alert.labels, firing, now) : nil
                    return AlertRow(
                        state: alert.state, labels: alert.labels, summary: language.summary(alert.annotations),
                        activeAt: alert.activeAt, silenced: mute != nil, mute: mute)
                }
                .sorted(by: AlertRow.byPriority))
        default: break
        }
        guard let query = panel.query else { return .failure(language.localized("dash.no_query")) }
        do {
            if panel.widget == .lineChart || panel.widget == .sparkline {
                let range = timeRange.inMilliseconds
                // About two points a column: braille has two dots across a cell.
                let step = max(15_000, range / 240 / 15_000 * 15_000)
                let from = now - range
                let series = try reader.range(query, start: from, end: now, step: step)
                return .range(series.filter { matchesFilter($0.labels) }, from: from, through: now)
            }
            let main: [(labels: Labels, value: Double, time: Int64)]
            switch try reader.instant(query, at: now) {
            case .scalar(let value): main = [(Labels(), value, now)]
            case .vector(let elements):
                main = elements.filter { matchesFilter($0.labels) }.map { ($0.labels, $0.value, $0.timestamp) }
            default: return .failure(language.localized("dash.not_vector"))
            }
            guard !panel.columns.isEmpty else { return .instant(main) }
            // A column that fails is shown empty rather than hiding the whole table.
            let columns = panel.columns.map { column -> [(labels: Labels, value: Double, time: Int64)] in
                guard case .vector(let elements)? = try? reader.instant(column.query, at: now) else { return [] }
                return elements.map { ($0.labels, $0.value, $0.timestamp) }
            }
            return .table(main, columns: columns)
        } catch {
            return .failure("\(error)")
        }
    }

    /// Whether a row's labels match the filter (`/`): any shown value, or `name=value`, without
    /// regard to case or Vietnamese marks (`ha noi` finds `Hà Nội`). The job, an ASCII slug of the
    /// province, is not shown and does not match.
    func matchesFilter(_ labels: Labels) -> Bool {
        guard !filter.isEmpty else { return true }
        let needle = foldedFilter
        return labels.pairs.contains { pair in
            guard pair.name != "job" && pair.name != Labels.metricName else { return false }
            let value = TextFolding.folded(pair.value)
            return value.contains(needle) || (pair.name.lowercased() + "=" + value).contains(needle)
        }
    }

    /// Draws the frame.
    public func draw(
        _ data: [[PanelData]], newest: Int64?, now: Int64, into canvas: inout Canvas,
        silenced: (Labels) -> Bool = { _ in false }
    ) {
        draw(data, freshness: Freshness(newest: newest), now: now, into: &canvas, silenced: silenced)
    }

    /// Draws the frame, with how fresh its figures are.
    public func draw(
        _ data: [[PanelData]], freshness: Freshness, now: Int64, into canvas: inout Canvas,
        silenced: (Labels) -> Bool = { _ in false }
    ) {
        canvas.language = language
        let newest = freshness.newest
        let width = canvas.width
        let height = canvas.height
        drawHeader(newest: newest, now: now, into: &canvas)
        var top = 1
        if newest.map({ now - $0 > freshness.stoppedAfter }) ?? true {
            let banner =
                newest.map {
                    canvas.language.localized("dash.banner_stale", ["age": UnitFormat.age(now - $0, canvas.language)])
                } ?? canvas.language.localized("dash.banner_empty", ["source": source])
            canvas.fill(row: 1, style: CellStyle(foreground: .white, background: .red))
            canvas.write(
                banner, x: 0, y: 1, style: CellStyle(foreground: .white, background: .red, bold: true), maxWidth: width)
            top = 2
        }
        let footer = DashboardScreen.footers(variables: !template.variables.isEmpty, canvas.language).first {
            TerminalText.width(of: $0) <= width
        }
        canvas.write(
            footer ?? canvas.language.localized("dash.footer_minimal"), x: 0, y: height - 1,
            style: CellStyle(dim: true),
            maxWidth: width)
        let layout = self.layout(width: width, height: height, top: top)
        for placement in layout.placed {
            let panel = dashboard.rows[placement.row].panels[placement.panel]
            let focused = focus.row == placement.row && focus.panel == placement.panel
            Widgets.box(panel.title, in: placement.rect, on: &canvas, focused: focused)
            let panelData =
                placement.row < data.count && placement.panel < data[placement.row].count
                ? data[placement.row][placement.panel] : .failure(canvas.language.localized("dash.not_loaded"))
            drawPanel(
                panel, panelData, now: now, selection: focused ? selection : nil, in: placement.rect.inner, on: &canvas,
                silenced: silenced, staleAfter: freshness.staleAfter)
        }
        if let line = layout.collapsedLine {
            drawCollapsed(layout.collapsed, in: line, on: &canvas)
        }
    }

    /// Where the panels go at this size (the focused one alone when zoomed).
    func layout(width: Int, height: Int, top: Int) -> Layout {
        let area = Rect(x: 0, y: top, width: width, height: height - top - 1)
        return Layout(dashboard, in: area, zoomed: zoomed ? focus : nil)
    }

    /// The header: title, variables, time, range, state, and on the right how old the newest data
    /// is and where it comes from (the age kept, the source left out, when the line is short).
    private func drawHeader(newest: Int64?, now: Int64, into canvas: inout Canvas) {
        let width = canvas.width
        canvas.fill(row: 0, style: CellStyle(reverse: true))
        let language = canvas.language
        let variables = template.variables.map { "\($0.name): \(values[$0.name] ?? "–")" }
        let zone = DisplayZone.current
        let clock = "\(UnitFormat.clock(now)) (\(zone.identifier == "UTC" ? "UTC" : "UTC" + zone.suffix(at: now)))"
        var state: [String] = []
        if paused { state.append(language.localized("dash.paused")) }
        if zoomed { state.append(language.localized("dash.zoom")) }
        if !filter.isEmpty { state.append("/\(filter)") }
        let title = Widgets.localTitle(dashboard.title, language)
        let short = Widgets.shortTitle(title)
        // Shorter and shorter headers, so that the age of the data keeps its place on the right:
        // without the range, then with the title's first language only, then without the clock.
        let headers = [
            [title] + variables + [clock, timeRange.prometheusString] + state,
            [title] + variables + [clock] + state,
            [short] + variables + [clock] + state,
            [short] + variables + state,
        ].map { " " + $0.joined(separator: "  ·  ") }
        let age =
            newest.map { language.localized("dash.newest", ["age": UnitFormat.age(now - $0, language)]) }
            ?? language.localized("dash.newest_none")
        // The longest header that fits beside the age (with the data's source when there is room).
        let fitting = headers.lazy.compactMap { header in
            [age + " · " + source + " ", age + " "].first {
                TerminalText.width(of: header) + TerminalText.width(of: $0) < width
            }.map { (header, $0) }
        }.first
        let (header, right) = fitting ?? (headers[headers.count - 1], " " + age + " ")
        let rightWidth = TerminalText.width(of: right)
        canvas.write(
            header, x: 0, y: 0, style: CellStyle(bold: true, reverse: true), maxWidth: max(0, width - rightWidth))
        if rightWidth < width {
            canvas.write(right, x: width - rightWidth, y: 0, style: CellStyle(reverse: true))
        }
    }

    /// The keys line, longest first: the first that fits is shown.
    static func footers(variables: Bool, _ language: Language) -> [String] {
        let variable = ["variable": variables ? language.localized("dash.footer_variable") : ""]
        return ["dash.footer_long", "dash.footer_medium", "dash.footer_short"].map { language.localized($0, variable) }
    }

    /// The line naming the panels that did not fit; the focused one stands out.
    private func drawCollapsed(_ panels: [(row: Int, panel: Int)], in line: Rect, on canvas: inout Canvas) {
        var x = canvas.write(
            canvas.language.localized("dash.more_panels", ["count": "\(panels.count)"]), x: line.x, y: line.y,
            style: CellStyle(dim: true), maxWidth: line.width)
        for (index, item) in panels.enumerated() {
            let title = Widgets.shortTitle(
                Widgets.localTitle(dashboard.rows[item.row].panels[item.panel].title, canvas.language))
            let focused = focus.row == item.row && focus.panel == item.panel
            if index > 0 {
                x = canvas.write(" · ", x: x, y: line.y, style: CellStyle(dim: true), maxWidth: line.x + line.width - x)
            }
            x = canvas.write(
                title, x: x, y: line.y, style: CellStyle(foreground: focused ? .cyan : nil, reverse: focused),
                maxWidth: max(0, line.x + line.width - x))
        }
        let hint = canvas.language.localized("dash.more_hint")
        if x + TerminalText.width(of: hint) <= line.x + line.width {
            canvas.write(hint, x: x, y: line.y, style: CellStyle(dim: true))
        }
    }

    private func drawPanel(
        _ panel: DashboardFile.Panel, _ data: PanelData, now: Int64, selection: Int?, in rect: Rect,
        on canvas: inout Canvas, silenced: (Labels) -> Bool, staleAfter: (Labels) -> Int64
    ) {
        guard rect.width > 0, rect.height > 0 else { return }
        switch data {
        case .failure(let message):
            Widgets.text(message, in: rect, on: &canvas)
        case .text(let text):
            Widgets.text(text, in: rect, on: &canvas)
        case .alerts(let alerts):
            Widgets.alertList(alerts, now: now, selection: selection, in: rect, on: &canvas)
        case .log(let lines):
            Widgets.log(lines, in: rect, on: &canvas)
        case .range(let series, let from, let through):
            if panel.widget == .sparkline {
                Widgets.sparkline(series.first, panel: panel, in: rect, on: &canvas)
            } else {
                Widgets.lineChart(series, from: from, through: through, panel: panel, in: rect, on: &canvas)
            }
        case .table(let elements, let columns):
            Widgets.table(elements, columns: columns, panel: panel, selection: selection, in: rect, on: &canvas)
        case .instant(let elements):
            switch panel.widget {
            case .statusGrid:
                Widgets.statusGrid(
                    elements, panel: panel, now: now, silenced: silenced, staleAfter: staleAfter, selection: selection,
                    in: rect, on: &canvas)
            case .stat: Widgets.stat(elements.first?.value, panel: panel, in: rect, on: &canvas)
            case .gauge: Widgets.gauge(elements.first?.value, panel: panel, in: rect, on: &canvas)
            case .barChart: Widgets.barChart(elements, panel: panel, in: rect, on: &canvas)
            default: Widgets.table(elements, panel: panel, selection: selection, in: rect, on: &canvas)
            }
        }
    }

    /// The newest sample time of the probes (or anything), for the header's age and the banner.
    /// The probes' newest, else scraped targets' (`up`), in two queries rather than `probe_success
    /// or up`, which VictoriaMetrics answers with nothing when `up` is not there; one on the
    /// refresh of a centre that probes.
    public static func newest(from reader: any DashboardBackend, now: Int64) -> Int64? {
        for text in ["max(timestamp(probe_success))", "max(timestamp(up))"] {
            guard let query = try? Query(parsing: text),
                case .vector(let elements)? = try? reader.instant(query, at: now),
                let seconds = elements.first?.value, seconds.isFinite
            else { continue }
            return Int64(exactly: (seconds * 1000).rounded())
        }
        return nil
    }
}

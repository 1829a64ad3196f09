import Foundation
public import IOCCore
public import IOCQuery
public import IOCStore

/// One frame of a dashboard from a file: a header (title, time, data source, how old the newest data
/// is), a banner when the daemon has stopped writing, the rows of panels, and a line of keys.
public struct DashboardScreen: Sendable {
    public var dashboard: DashboardFile
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

    public init(dashboard: DashboardFile, source: String) {
        self.dashboard = dashboard
        self.source = source
        timeRange = dashboard.timeRange
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
            data = shape.map { Array(repeating: PanelData.failure("loading"), count: $0) }
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
        switch panel.widget {
        case .text: return .text(panel.text)
        case .log:
            let entries = ((try? reader.alertHistory(through: now, limit: 200)) ?? []).reversed()
            return .log(
                entries.filter { matchesFilter($0.labels) }.map { entry in
                    LogLine(
                        time: entry.time, change: entry.kind, labels: entry.labels,
                        summary: entry.annotations["summary"] ?? "")
                })
        case .alerts:
            let alerts = ((try? reader.alerts()) ?? []).filter { $0.state != .inactive && matchesFilter($0.labels) }
            return .alerts(
                alerts.map { alert in
                    AlertRow(
                        state: alert.state, labels: alert.labels, summary: alert.annotations["summary"] ?? "",
                        activeAt: alert.activeAt, silenced: silences.contains { $0.silences(alert.labels) })
                }
                .sorted(by: AlertRow.byPriority))
        default: break
        }
        guard let query = panel.query else { return .failure("no query") }
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
            default: return .failure("the query gives neither a vector nor a scalar")
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
        let newest = freshness.newest
        let width = canvas.width
        let height = canvas.height
        canvas.fill(row: 0, style: CellStyle(reverse: true))
        let age = newest.map { UnitFormat.age(now - $0) } ?? "no data"
        var header = " \(dashboard.title)  ·  \(UnitFormat.clock(now)) (UTC+7)  ·  \(timeRange.prometheusString)"
        if paused { header += "  ·  PAUSED" }
        if !filter.isEmpty { header += "  ·  /\(filter)" }
        canvas.write(header, x: 0, y: 0, style: CellStyle(bold: true, reverse: true), maxWidth: width)
        let right = "newest \(age) · \(source) "
        if TerminalText.width(of: header) + TerminalText.width(of: right) < width {
            canvas.write(right, x: width - TerminalText.width(of: right), y: 0, style: CellStyle(reverse: true))
        }
        var top = 1
        if newest.map({ now - $0 > freshness.stoppedAfter }) ?? true {
            let banner =
                newest == nil
                ? " No data yet: is iocd running and writing \(source)? "
                : " iocd has not written for \(age): the figures below are old "
            canvas.fill(row: 1, style: CellStyle(foreground: .white, background: .red))
            canvas.write(
                banner, x: 0, y: 1, style: CellStyle(foreground: .white, background: .red, bold: true), maxWidth: width)
            top = 2
        }
        let footer =
            " ←↑↓→ hjkl move · Tab dashboards · Enter details · / filter · t range · s silence · a alerts · p pause · ? help · q quit"
        canvas.write(footer, x: 0, y: height - 1, style: CellStyle(dim: true), maxWidth: width)
        let area = Rect(x: 0, y: top, width: width, height: height - top - 1)
        let totalHeight = dashboard.rows.reduce(0) { $0 + $1.height }
        var y = area.y
        for (rowIndex, row) in dashboard.rows.enumerated() {
            let rowHeight =
                rowIndex == dashboard.rows.count - 1
                ? area.y + area.height - y : area.height * row.height / max(1, totalHeight)
            let totalWidth = row.panels.reduce(0) { $0 + $1.width }
            var x = 0
            for (panelIndex, panel) in row.panels.enumerated() {
                let panelWidth =
                    panelIndex == row.panels.count - 1 ? width - x : width * panel.width / max(1, totalWidth)
                let rect = Rect(x: x, y: y, width: panelWidth, height: rowHeight)
                let focused = focus.row == rowIndex && focus.panel == panelIndex
                Widgets.box(panel.title, in: rect, on: &canvas, focused: focused)
                let panelData =
                    rowIndex < data.count && panelIndex < data[rowIndex].count
                    ? data[rowIndex][panelIndex] : .failure("not loaded")
                drawPanel(
                    panel, panelData, now: now, selection: focused ? selection : nil, in: rect.inner, on: &canvas,
                    silenced: silenced, staleAfter: freshness.staleAfter)
                x += panelWidth
            }
            y += rowHeight
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
    public static func newest(from reader: any DashboardBackend, now: Int64) -> Int64? {
        guard let query = try? Query(parsing: "max(timestamp(probe_success or up))"),
            case .vector(let elements)? = try? reader.instant(query, at: now),
            let seconds = elements.first?.value, seconds.isFinite
        else { return nil }
        return Int64(exactly: (seconds * 1000).rounded())
    }
}

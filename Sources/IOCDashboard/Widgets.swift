import Foundation
public import IOCCore

/// A rectangle of the canvas.
public struct Rect: Sendable, Equatable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    /// The inside of a box drawn around this rectangle.
    var inner: Rect { Rect(x: x + 1, y: y + 1, width: width - 2, height: height - 2) }
}

/// What a panel shows, worked out from its query.
public enum PanelData: Sendable {
    /// An instant query's elements: labels, value, and the time of the sample.
    case instant([(labels: Labels, value: Double, time: Int64)])
    /// A table's own query's elements, and those of each of its further columns.
    case table(
        [(labels: Labels, value: Double, time: Int64)], columns: [[(labels: Labels, value: Double, time: Int64)]])
    /// A range query's series over `from...through`.
    case range([Series], from: Int64, through: Int64)
    case alerts([AlertRow])
    case log([LogLine])
    case text(String)
    case failure(String)
}

/// One line of an alert list.
public struct AlertRow: Sendable, Equatable {
    public var state: String
    public var labels: Labels
    public var summary: String
    public var activeAt: Int64
    public var silenced: Bool

    public init(state: String, labels: Labels, summary: String, activeAt: Int64, silenced: Bool) {
        self.state = state
        self.labels = labels
        self.summary = summary
        self.activeAt = activeAt
        self.silenced = silenced
    }
}

/// One line of the alert log: a change of an alert.
public struct LogLine: Sendable, Equatable {
    public var time: Int64
    public var change: String
    public var labels: Labels
    public var summary: String

    public init(time: Int64, change: String, labels: Labels, summary: String) {
        self.time = time
        self.change = change
        self.labels = labels
        self.summary = summary
    }
}

/// Drawing the widgets into a canvas. Every string from outside goes through `Canvas.write`, which
/// strips control characters and escape sequences and clips by display width.
public enum Widgets {
    static let seriesColors: [TerminalColor] = [.green, .yellow, .cyan, .magenta, .blue, .red, .white]

    /// A box with a title, as every panel has.
    public static func box(_ title: String, in rect: Rect, on canvas: inout Canvas, focused: Bool = false) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let style = CellStyle(foreground: focused ? .cyan : nil, dim: !focused)
        let horizontal = String(repeating: "─", count: rect.width - 2)
        canvas.write("┌" + horizontal + "┐", x: rect.x, y: rect.y, style: style)
        for row in (rect.y + 1)..<(rect.y + rect.height - 1) {
            canvas.write("│", x: rect.x, y: row, style: style)
            canvas.write("│", x: rect.x + rect.width - 1, y: row, style: style)
        }
        canvas.write("└" + horizontal + "┘", x: rect.x, y: rect.y + rect.height - 1, style: style)
        if !title.isEmpty {
            canvas.write(" \(title) ", x: rect.x + 2, y: rect.y, style: CellStyle(bold: true), maxWidth: rect.width - 4)
        }
    }

    static func color(for value: Double, thresholds: [DashboardFile.Threshold], fallback: TerminalColor? = .green)
        -> TerminalColor?
    {
        var chosen = fallback
        for threshold in thresholds where value >= threshold.value { chosen = threshold.color }
        return chosen
    }

    /// `{{province}} {{service}}` with the series' labels; without a format, the labels that differ.
    static func legend(_ labels: Labels, format: String?) -> String {
        guard let format else {
            let shown = labels.pairs.filter { $0.name != Labels.metricName }
            return shown.isEmpty ? (labels.metric ?? "value") : shown.map(\.value).joined(separator: " ")
        }
        var result = ""
        var rest = Substring(format)
        while let open = rest.range(of: "{{") {
            result += rest[..<open.lowerBound]
            guard let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex) else {
                result += rest[open.lowerBound...]
                return result
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            result += labels[name] ?? ""
            rest = rest[close.upperBound...]
        }
        return result + rest
    }

    // MARK: status grid

    /// Rows × columns from two labels, each cell coloured: up, degraded (between 0 and 1), down,
    /// stale (no sample for three minutes), silenced.
    static func statusGrid(
        _ elements: [(labels: Labels, value: Double, time: Int64)], panel: DashboardFile.Panel, now: Int64,
        silenced: (Labels) -> Bool, selection: Int?, in rect: Rect, on canvas: inout Canvas
    ) {
        let rowNames = rowOrder(elements, panel: panel)
        let columnNames = Set(elements.compactMap { $0.labels[panel.columnsLabel] }).sorted()
        guard !rowNames.isEmpty, rect.height >= 2 else {
            canvas.write("no data", x: rect.x, y: rect.y, style: CellStyle(dim: true))
            return
        }
        var cells: [String: [String: (labels: Labels, value: Double, time: Int64)]] = [:]
        for element in elements {
            guard let row = element.labels[panel.rowsLabel], let column = element.labels[panel.columnsLabel] else {
                continue
            }
            // Several series in one cell: the worst (lowest) counts.
            if let existing = cells[row]?[column], existing.value <= element.value { continue }
            cells[row, default: [:]][column] = element
        }
        let headerWidth = min(max(8, rect.width / 4), rowNames.map { TerminalText.width(of: $0) }.max() ?? 8)
        let cellWidth = max(2, min(9, (rect.width - headerWidth - 1) / max(1, columnNames.count)))
        let shownColumns = min(columnNames.count, max(0, (rect.width - headerWidth - 1) / cellWidth))
        for (index, column) in columnNames.prefix(shownColumns).enumerated() {
            canvas.write(
                column, x: rect.x + headerWidth + 1 + index * cellWidth, y: rect.y, style: CellStyle(dim: true),
                maxWidth: cellWidth - 1)
        }
        let visible = rect.height - 1
        let first = selection.map { max(0, min($0 - visible / 2, rowNames.count - visible)) } ?? 0
        for (offset, row) in rowNames.dropFirst(first).prefix(visible).enumerated() {
            let y = rect.y + 1 + offset
            let selected = selection == first + offset
            canvas.write(
                row, x: rect.x, y: y, style: CellStyle(bold: selected, reverse: selected), maxWidth: headerWidth)
            for (index, column) in columnNames.prefix(shownColumns).enumerated() {
                let x = rect.x + headerWidth + 1 + index * cellWidth
                guard let cell = cells[row]?[column] else {
                    canvas.write("·", x: x, y: y, style: CellStyle(dim: true))
                    continue
                }
                let (symbol, style) = statusSymbol(cell.value, age: now - cell.time, silenced: silenced(cell.labels))
                canvas.write(symbol, x: x, y: y, style: style)
            }
        }
        // Which rows are shown, where the column headings leave room.
        let range = "\(first + 1)-\(min(rowNames.count, first + visible))/\(rowNames.count)"
        let headingsEnd = rect.x + headerWidth + 1 + shownColumns * cellWidth
        if rowNames.count > visible && headingsEnd + TerminalText.width(of: range) < rect.x + rect.width {
            canvas.write(
                range, x: rect.x + rect.width - TerminalText.width(of: range), y: rect.y, style: CellStyle(dim: true))
        }
    }

    static func statusSymbol(_ value: Double, age: Int64, silenced: Bool) -> (String, CellStyle) {
        if silenced { return ("◌", CellStyle(foreground: .blue)) }
        if age > 180_000 { return ("?", CellStyle(dim: true)) }
        if value >= 1 { return ("●", CellStyle(foreground: .green)) }
        if value > 0 { return ("◐", CellStyle(foreground: .yellow)) }
        return ("✖", CellStyle(foreground: .red, bold: true))
    }

    /// The rows of a grid: in the catalogue's order, or with `sort: asc` the worst first (the row's
    /// lowest value, then how many of its cells are below 1), ties in the catalogue's order.
    static func rowOrder(_ elements: [(labels: Labels, value: Double, time: Int64)], panel: DashboardFile.Panel)
        -> [String]
    {
        let names = ordered(Set(elements.compactMap { $0.labels[panel.rowsLabel] }), label: panel.rowsLabel)
        guard panel.ascending else { return names }
        var worst: [String: (lowest: Double, failing: Int)] = [:]
        for element in elements {
            guard let row = element.labels[panel.rowsLabel] else { continue }
            let value = element.value.isNaN ? 0 : element.value
            var entry = worst[row, default: (1, 0)]
            entry.lowest = min(entry.lowest, value)
            if value < 1 { entry.failing += 1 }
            worst[row] = entry
        }
        let position = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return names.sorted { a, b in
            let x = worst[a, default: (1, 0)]
            let y = worst[b, default: (1, 0)]
            if x.lowest != y.lowest { return x.lowest < y.lowest }
            if x.failing != y.failing { return x.failing > y.failing }
            return position[a, default: 0] < position[b, default: 0]
        }
    }

    /// Provinces in the catalogue's order (by code); other values alphabetically.
    static func ordered(_ values: Set<String>, label: String) -> [String] {
        guard label == "province" else { return values.sorted() }
        let rank = Dictionary(
            ProvinceCatalogue.current.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        return values.sorted { (rank[$0] ?? Int.max, $0) < (rank[$1] ?? Int.max, $1) }
    }

    // MARK: single values

    static func stat(_ value: Double?, panel: DashboardFile.Panel, in rect: Rect, on canvas: inout Canvas) {
        guard let value else {
            canvas.write("no data", x: rect.x, y: rect.y + rect.height / 2, style: CellStyle(dim: true))
            return
        }
        let text = UnitFormat.format(value, panel.unit)
        let x = rect.x + max(0, (rect.width - TerminalText.width(of: text)) / 2)
        canvas.write(
            text, x: x, y: rect.y + max(0, (rect.height - 1) / 2),
            style: CellStyle(foreground: color(for: value, thresholds: panel.thresholds), bold: true),
            maxWidth: rect.width)
    }

    static func gauge(_ value: Double?, panel: DashboardFile.Panel, in rect: Rect, on canvas: inout Canvas) {
        guard let value else {
            canvas.write("no data", x: rect.x, y: rect.y, style: CellStyle(dim: true))
            return
        }
        let label = UnitFormat.format(value, panel.unit)
        let barWidth = max(1, rect.width - TerminalText.width(of: label) - 1)
        let span = panel.maximum - panel.minimum
        let fraction = span > 0 ? min(1, max(0, (value - panel.minimum) / span)) : 0
        let eighths = min(barWidth * 8, max(0, Cells.count(fraction * Double(barWidth * 8))))
        let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        let bar = String(repeating: "█", count: eighths / 8) + partial[eighths % 8]
        let y = rect.y + max(0, (rect.height - 1) / 2)
        let style = CellStyle(foreground: color(for: value, thresholds: panel.thresholds))
        canvas.write(bar, x: rect.x, y: y, style: style)
        canvas.write(
            String(repeating: "░", count: max(0, barWidth - TerminalText.width(of: bar))),
            x: rect.x + TerminalText.width(of: bar), y: y, style: CellStyle(dim: true))
        canvas.write(label, x: rect.x + barWidth + 1, y: y, style: CellStyle(bold: true))
    }

    static let sparks = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    static func sparkline(_ series: Series?, panel: DashboardFile.Panel, in rect: Rect, on canvas: inout Canvas) {
        guard let series, let last = series.samples.last else {
            canvas.write("no data", x: rect.x, y: rect.y, style: CellStyle(dim: true))
            return
        }
        let label = UnitFormat.format(last.value, panel.unit)
        let width = max(1, rect.width - TerminalText.width(of: label) - 1)
        let values = series.samples.suffix(width).map(\.value).filter(\.isFinite)
        let low = values.min() ?? 0
        let high = values.max() ?? 0
        let line = values.map { value in
            high > low
                ? sparks[min(7, max(0, Cells.count((value - low) / (high - low) * 7.999, rounding: .towardZero)))]
                : sparks[0]
        }.joined()
        let y = rect.y + max(0, (rect.height - 1) / 2)
        canvas.write(
            line, x: rect.x, y: y, style: CellStyle(foreground: color(for: last.value, thresholds: panel.thresholds)))
        canvas.write(label, x: rect.x + width + 1, y: y, style: CellStyle(bold: true))
    }

    // MARK: charts

    /// A line chart in braille (2 × 4 dots a cell) with the y axis' labels on the left, the times of
    /// both ends below, and a legend.
    static func lineChart(
        _ series: [Series], from: Int64, through: Int64, panel: DashboardFile.Panel, in rect: Rect,
        on canvas: inout Canvas
    ) {
        let shown = Array(series.prefix(Widgets.seriesColors.count))
        let values = shown.flatMap { $0.samples.map(\.value) }.filter(\.isFinite)
        guard let low = values.min(), let high = values.max(), rect.height >= 3 else {
            canvas.write("no data", x: rect.x, y: rect.y, style: CellStyle(dim: true))
            return
        }
        let legendRows = min(shown.count, max(0, (rect.height - 2) / 3))
        let bottom = low > 0 && low < high / 4 ? 0 : low
        let top = high == bottom ? bottom + 1 : high
        let labels = [top, (top + bottom) / 2, bottom].map { UnitFormat.format($0, panel.unit) }
        let axisWidth = min(10, (labels.map { TerminalText.width(of: $0) }.max() ?? 4) + 1)
        let plot = Rect(
            x: rect.x + axisWidth, y: rect.y, width: rect.width - axisWidth, height: rect.height - 1 - legendRows)
        guard plot.width > 0, plot.height > 0 else { return }
        canvas.write(labels[0], x: rect.x, y: plot.y, style: CellStyle(dim: true), maxWidth: axisWidth - 1)
        canvas.write(
            labels[1], x: rect.x, y: plot.y + plot.height / 2, style: CellStyle(dim: true), maxWidth: axisWidth - 1)
        canvas.write(
            labels[2], x: rect.x, y: plot.y + plot.height - 1, style: CellStyle(dim: true), maxWidth: axisWidth - 1)
        let dotsWide = plot.width * 2
        let dotsHigh = plot.height * 4
        var dots = [UInt8](repeating: 0, count: plot.width * plot.height)
        var owner = [Int](repeating: -1, count: plot.width * plot.height)
        let span = Double(max(1, through - from))
        for (index, item) in shown.enumerated() {
            var previous: (Int, Int)?
            for sample in item.samples where sample.value.isFinite {
                let dx = Cells.count(
                    Double(sample.timestamp - from) / span * Double(dotsWide - 1), rounding: .towardZero)
                let dy = Cells.count((top - sample.value) / (top - bottom) * Double(dotsHigh - 1))
                let point = (min(max(dx, 0), dotsWide - 1), min(max(dy, 0), dotsHigh - 1))
                // Join to the previous point so that steep changes are lines, not dots.
                let steps = previous.map { max(abs(point.0 - $0.0), abs(point.1 - $0.1)) } ?? 0
                for step in 0...steps {
                    let px: Int
                    let py: Int
                    if let previous, steps > 0 {
                        px = previous.0 + (point.0 - previous.0) * step / steps
                        py = previous.1 + (point.1 - previous.1) * step / steps
                    } else {
                        (px, py) = point
                    }
                    let cell = (py / 4) * plot.width + px / 2
                    dots[cell] |= brailleBit(column: px % 2, row: py % 4)
                    owner[cell] = index
                }
                previous = point
            }
        }
        for row in 0..<plot.height {
            for column in 0..<plot.width where dots[row * plot.width + column] != 0 {
                let value = 0x2800 + UInt32(dots[row * plot.width + column])
                let character = String(Character(Unicode.Scalar(value) ?? " "))
                canvas.write(
                    character, x: plot.x + column, y: plot.y + row,
                    style: CellStyle(foreground: seriesColors[max(0, owner[row * plot.width + column])]))
            }
        }
        let axisY = plot.y + plot.height
        canvas.write(UnitFormat.clock(from), x: plot.x, y: axisY, style: CellStyle(dim: true))
        let end = UnitFormat.clock(through)
        canvas.write(end, x: plot.x + plot.width - TerminalText.width(of: end), y: axisY, style: CellStyle(dim: true))
        for (index, item) in shown.prefix(legendRows).enumerated() {
            let latest = item.samples.last.map { UnitFormat.format($0.value, panel.unit) } ?? "–"
            let x = canvas.write(
                "━ ", x: rect.x, y: axisY + 1 + index, style: CellStyle(foreground: seriesColors[index]))
            canvas.write(
                legend(item.labels, format: panel.legend) + "  " + latest, x: x, y: axisY + 1 + index,
                maxWidth: rect.width - 2)
        }
    }

    static func brailleBit(column: Int, row: Int) -> UInt8 {
        // Dots 1-3 and 7 on the left, 4-6 and 8 on the right.
        let left: [UInt8] = [0x01, 0x02, 0x04, 0x40]
        let right: [UInt8] = [0x08, 0x10, 0x20, 0x80]
        return column == 0 ? left[row] : right[row]
    }

    static func barChart(
        _ elements: [(labels: Labels, value: Double, time: Int64)], panel: DashboardFile.Panel, in rect: Rect,
        on canvas: inout Canvas
    ) {
        let sorted = sortedElements(elements, panel: panel).prefix(rect.height)
        guard let largest = sorted.map({ abs($0.value) }).max(), !sorted.isEmpty else {
            canvas.write("no data", x: rect.x, y: rect.y, style: CellStyle(dim: true))
            return
        }
        let names = sorted.map { legend($0.labels, format: panel.legend) }
        let nameWidth = min(rect.width / 3, names.map { TerminalText.width(of: $0) }.max() ?? 0)
        let valueTexts = sorted.map { UnitFormat.format($0.value, panel.unit) }
        let valueWidth = valueTexts.map { TerminalText.width(of: $0) }.max() ?? 0
        let barWidth = max(1, rect.width - nameWidth - valueWidth - 2)
        for (index, element) in sorted.enumerated() {
            let y = rect.y + index
            canvas.write(TerminalText.pad(TerminalText.sanitize(names[index]), to: nameWidth), x: rect.x, y: y)
            let length =
                largest > 0 ? min(barWidth, max(0, Cells.count(abs(element.value) / largest * Double(barWidth)))) : 0
            canvas.write(
                String(repeating: "█", count: max(length, element.value != 0 ? 1 : 0)), x: rect.x + nameWidth + 1, y: y,
                style: CellStyle(foreground: color(for: element.value, thresholds: panel.thresholds)))
            canvas.write(valueTexts[index], x: rect.x + rect.width - valueWidth, y: y)
        }
    }

    static func sortedElements(_ elements: [(labels: Labels, value: Double, time: Int64)], panel: DashboardFile.Panel)
        -> [(labels: Labels, value: Double, time: Int64)]
    {
        let sorted = elements.sorted { a, b in
            a.value != b.value ? (panel.ascending ? a.value < b.value : a.value > b.value) : a.labels < b.labels
        }
        return panel.limit.map { Array(sorted.prefix($0)) } ?? sorted
    }

    /// The labels a table's rows and its further columns are matched on: `join_on`, else those the
    /// legend names, else all of the row's but the metric name.
    static func joinLabels(_ panel: DashboardFile.Panel, row: Labels) -> [String] {
        if let joinOn = panel.joinOn { return joinOn }
        if let legend = panel.legend {
            var names: [String] = []
            var rest = Substring(legend)
            while let open = rest.range(of: "{{"),
                let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex)
            {
                names.append(rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces))
                rest = rest[close.upperBound...]
            }
            if !names.isEmpty { return names }
        }
        return row.pairs.map(\.name).filter { $0 != Labels.metricName }
    }

    /// A ranking with further columns: rank, name, the value, then each column's value or text for
    /// the row, as far as they fit (columns that do not fit are left out from the right).
    static func table(
        _ elements: [(labels: Labels, value: Double, time: Int64)],
        columns: [[(labels: Labels, value: Double, time: Int64)]], panel: DashboardFile.Panel, selection: Int?,
        in rect: Rect, on canvas: inout Canvas
    ) {
        let all = sortedElements(elements, panel: panel)
        guard !all.isEmpty else {
            canvas.write("no data", x: rect.x, y: rect.y, style: CellStyle(dim: true))
            return
        }
        let sorted = Array(all.prefix(max(0, rect.height - 1)))
        // Each column's cells for the shown rows: text, colour, right-aligned or not.
        typealias Cell = (text: String, color: TerminalColor?)
        var built: [(title: String, cells: [Cell?], right: Bool)] = [
            (
                panel.valueTitle,
                sorted.map {
                    (
                        UnitFormat.format($0.value, panel.unit),
                        color(for: $0.value, thresholds: panel.thresholds, fallback: nil)
                    )
                }, true
            )
        ]
        // The labels each row is matched on, worked out once for all the columns.
        let rowKeys = sorted.map { joinLabels(panel, row: $0.labels) }
        for (index, column) in panel.columns.enumerated() {
            let values = index < columns.count ? columns[index] : []
            let cells: [Cell?] = zip(sorted, rowKeys).map { row, keys in
                guard
                    let match = values.first(where: { element in
                        keys.allSatisfy { element.labels[$0] == row.labels[$0] }
                    })
                else { return nil }
                let text =
                    column.text.map { legend(match.labels, format: $0) } ?? UnitFormat.format(match.value, column.unit)
                return (text, color(for: match.value, thresholds: column.thresholds, fallback: nil))
            }
            built.append((column.title, cells, column.text == nil))
        }
        let rankWidth = String(all.count).count + 1
        let widths = built.map { column in
            max(
                TerminalText.width(of: column.title),
                column.cells.map { TerminalText.width(of: $0?.text ?? "–") }.max() ?? 0)
        }
        // The name gets at least 10 cells; columns beyond what fits are dropped.
        var shown = 0
        var used = rankWidth + 10
        while shown < built.count && used + widths[shown] + 1 <= rect.width {
            used += widths[shown] + 1
            shown += 1
        }
        let nameWidth = rect.width - (used - 10) - rankWidth
        canvas.write("#", x: rect.x, y: rect.y, style: CellStyle(dim: true))
        canvas.write("NAME", x: rect.x + rankWidth, y: rect.y, style: CellStyle(dim: true), maxWidth: nameWidth)
        var x = rect.x + rankWidth + nameWidth
        var columnX: [Int] = []
        for index in 0..<shown {
            x += 1
            columnX.append(x)
            canvas.write(
                TerminalText.pad(built[index].title, to: widths[index], alignRight: built[index].right), x: x,
                y: rect.y,
                style: CellStyle(dim: true), maxWidth: widths[index])
            x += widths[index]
        }
        for (row, element) in sorted.enumerated() {
            let y = rect.y + 1 + row
            let selected = selection == row
            canvas.write(String(row + 1), x: rect.x, y: y, style: CellStyle(reverse: selected))
            canvas.write(
                legend(element.labels, format: panel.legend), x: rect.x + rankWidth, y: y,
                style: CellStyle(reverse: selected), maxWidth: nameWidth - 1)
            for index in 0..<shown {
                let cell = built[index].cells[row]
                canvas.write(
                    TerminalText.pad(cell?.text ?? "–", to: widths[index], alignRight: built[index].right),
                    x: columnX[index], y: y, style: CellStyle(foreground: cell?.color, dim: cell == nil),
                    maxWidth: widths[index])
            }
        }
    }

    /// A ranking: rank, name (legend), value, sorted by value.
    static func table(
        _ elements: [(labels: Labels, value: Double, time: Int64)], panel: DashboardFile.Panel, selection: Int?,
        in rect: Rect, on canvas: inout Canvas
    ) {
        let all = sortedElements(elements, panel: panel)
        guard !all.isEmpty else {
            canvas.write("no data", x: rect.x, y: rect.y, style: CellStyle(dim: true))
            return
        }
        // Only the rows that fit are formatted.
        let sorted = all.prefix(max(0, rect.height - 1))
        let values = sorted.map { UnitFormat.format($0.value, panel.unit) }
        let valueWidth = max(5, values.map { TerminalText.width(of: $0) }.max() ?? 5)
        let rankWidth = String(all.count).count + 1
        canvas.write("#", x: rect.x, y: rect.y, style: CellStyle(dim: true))
        canvas.write("NAME", x: rect.x + rankWidth, y: rect.y, style: CellStyle(dim: true))
        canvas.write("VALUE", x: rect.x + rect.width - valueWidth, y: rect.y, style: CellStyle(dim: true))
        for (index, element) in sorted.enumerated() {
            let y = rect.y + 1 + index
            let selected = selection == index
            let style = CellStyle(reverse: selected)
            canvas.write(String(index + 1), x: rect.x, y: y, style: style)
            canvas.write(
                legend(element.labels, format: panel.legend), x: rect.x + rankWidth, y: y, style: style,
                maxWidth: rect.width - rankWidth - valueWidth - 1)
            canvas.write(
                TerminalText.pad(values[index], to: valueWidth, alignRight: true), x: rect.x + rect.width - valueWidth,
                y: y,
                style: CellStyle(foreground: color(for: element.value, thresholds: panel.thresholds, fallback: nil)))
        }
    }

    /// Firing first, then pending; each with its age, severity, name, labels and summary.
    static func alertList(_ alerts: [AlertRow], now: Int64, selection: Int?, in rect: Rect, on canvas: inout Canvas) {
        guard !alerts.isEmpty else {
            canvas.write("no active alerts", x: rect.x, y: rect.y, style: CellStyle(foreground: .green))
            return
        }
        for (index, alert) in alerts.prefix(rect.height).enumerated() {
            let y = rect.y + index
            let firing = alert.state == "firing"
            let stateText = alert.silenced ? "MUTED " : (firing ? "FIRING" : "PEND  ")
            let style =
                alert.silenced
                ? CellStyle(foreground: .blue) : CellStyle(foreground: firing ? .red : .yellow, bold: firing)
            let end = rect.x + rect.width
            var x = canvas.write(
                stateText, x: rect.x, y: y, style: selection == index ? CellStyle(reverse: true) : style,
                maxWidth: end - rect.x)
            x = canvas.write(
                " " + TerminalText.pad(UnitFormat.age(now - alert.activeAt), to: 6, alignRight: true), x: x, y: y,
                style: CellStyle(dim: true), maxWidth: max(0, end - x))
            let severity = alert.labels["severity"] ?? ""
            x = canvas.write(" " + TerminalText.pad(severity, to: 8), x: x, y: y, maxWidth: max(0, end - x))
            let place = [alert.labels["province"], alert.labels["service"]].compactMap { $0 }.joined(separator: "/")
            x = canvas.write(
                " " + (alert.labels["alertname"] ?? ""), x: x, y: y, style: CellStyle(bold: true),
                maxWidth: max(0, end - x))
            canvas.write(
                " " + (place.isEmpty ? "" : place + " ") + alert.summary, x: x, y: y, maxWidth: max(0, end - x))
        }
    }

    /// The latest changes of alerts, newest first: time (UTC+7), change, alert, where, summary.
    static func log(_ lines: [LogLine], in rect: Rect, on canvas: inout Canvas) {
        guard !lines.isEmpty else {
            canvas.write("no changes yet", x: rect.x, y: rect.y, style: CellStyle(dim: true))
            return
        }
        for (index, line) in lines.prefix(rect.height).enumerated() {
            let y = rect.y + index
            let end = rect.x + rect.width
            var x = canvas.write(
                UnitFormat.clock(line.time), x: rect.x, y: y, style: CellStyle(dim: true), maxWidth: rect.width)
            let style: CellStyle
            switch line.change {
            case "firing": style = CellStyle(foreground: .red, bold: true)
            case "resolved": style = CellStyle(foreground: .green)
            default: style = CellStyle(foreground: .yellow)
            }
            x = canvas.write(
                " " + TerminalText.pad(line.change, to: 9), x: x, y: y, style: style, maxWidth: max(0, end - x))
            let place = [line.labels["province"], line.labels["service"]].compactMap { $0 }.joined(separator: "/")
            x = canvas.write(
                (line.labels["alertname"] ?? "") + " ", x: x, y: y, style: CellStyle(bold: true),
                maxWidth: max(0, end - x))
            canvas.write((place.isEmpty ? "" : place + " ") + line.summary, x: x, y: y, maxWidth: max(0, end - x))
        }
    }

    static func text(_ text: String, in rect: Rect, on canvas: inout Canvas) {
        var y = rect.y
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            for word in paragraph.split(separator: " ") {
                if TerminalText.width(of: line) + TerminalText.width(of: String(word)) + 1 > rect.width && !line.isEmpty
                {
                    guard y < rect.y + rect.height else { return }
                    canvas.write(line, x: rect.x, y: y, maxWidth: rect.width)
                    y += 1
                    line = ""
                }
                line += (line.isEmpty ? "" : " ") + word
            }
            guard y < rect.y + rect.height else { return }
            canvas.write(line, x: rect.x, y: y, maxWidth: rect.width)
            y += 1
        }
    }
}

/// Values as people read them, in a panel's unit.
public enum UnitFormat {
    public static func format(_ value: Double, _ unit: DashboardFile.Unit) -> String {
        guard value.isFinite else { return value.isNaN ? "–" : (value > 0 ? "+∞" : "−∞") }
        switch unit {
        case .seconds:
            if abs(value) < 1 { return number(value * 1000) + " ms" }
            if abs(value) < 60 { return number(value) + " s" }
            return age(Int64(Cells.count(value * 1000)))
        case .milliseconds: return number(value) + " ms"
        case .percent: return number(value) + "%"
        case .days: return number(value) + " d"
        case .bytes:
            var scaled = value
            for unit in ["B", "KiB", "MiB", "GiB", "TiB"] {
                if abs(scaled) < 1024 || unit == "TiB" { return number(scaled) + " " + unit }
                scaled /= 1024
            }
            return number(scaled)
        case .change: return (value > 0 ? "+" : value < 0 ? "-" : "±") + number(abs(value))
        case .plain: return number(value)
        }
    }

    /// Three significant digits, at most two decimals: 0.123, 12.3, 1234.
    static func number(_ value: Double) -> String {
        let magnitude = abs(value)
        // A feed's 1e300 would be three hundred digits: past 10¹⁵, three significant digits and an exponent.
        if magnitude >= 1e15 { return String(format: "%.3g", value) }
        let decimals = magnitude >= 100 || magnitude == magnitude.rounded() ? 0 : (magnitude >= 10 ? 1 : 2)
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    /// `45s`, `12m`, `3h 5m`, `2d 4h`.
    public static func age(_ milliseconds: Int64) -> String {
        let seconds = max(0, milliseconds / 1000)
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m" }
        if seconds < 86_400 { return "\(seconds / 3600)h \(seconds / 60 % 60)m" }
        return "\(seconds / 86_400)d \(seconds / 3600 % 24)h"
    }

    /// `HH:MM` in UTC+7, the time of the operations room (Vietnam has one time zone, no daylight saving).
    static func clock(_ milliseconds: Int64) -> String {
        let local = (milliseconds / 1000 + 7 * 3600) % 86_400
        return String(format: "%02d:%02d", Int(local / 3600), Int(local / 60 % 60))
    }
}

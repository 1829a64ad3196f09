import Foundation
import IOCCore

extension Widgets {
    /// Rows × columns from two labels, each cell coloured: up, degraded (between 0 and 1), down,
    /// stale (no sample for `staleAfter` of its labels: two intervals of its target), silenced.
    static func statusGrid(
        _ elements: [(labels: Labels, value: Double, time: Int64)], panel: DashboardFile.Panel, now: Int64,
        silenced: (Labels) -> Bool, staleAfter: (Labels) -> Int64 = { _ in 180_000 }, selection: Int?, in rect: Rect,
        on canvas: inout Canvas
    ) {
        let rowNames = rowOrder(elements, panel: panel)
        // Columns of the series that have a row: a national platform (no province) adds no empty
        // "portal" column to the provinces' grid.
        let columnNames = Set(
            elements.compactMap { $0.labels[panel.rowsLabel] == nil ? nil : $0.labels[panel.columnsLabel] }
        ).sorted()
        guard !rowNames.isEmpty, rect.height >= 2 else {
            canvas.write(canvas.language.localized("dash.no_data"), x: rect.x, y: rect.y, style: CellStyle(dim: true))
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
        var shownColumns = min(columnNames.count, max(0, (rect.width - headerWidth - 1) / cellWidth))
        // Columns that do not fit are said, not silently left out: the last one shown gives way to "+N".
        if shownColumns < columnNames.count && shownColumns > 0 { shownColumns -= 1 }
        for (index, column) in columnNames.prefix(shownColumns).enumerated() {
            canvas.write(
                column, x: rect.x + headerWidth + 1 + index * cellWidth, y: rect.y, style: CellStyle(dim: true),
                maxWidth: cellWidth - 1)
        }
        if shownColumns < columnNames.count {
            canvas.write(
                "+\(columnNames.count - shownColumns)", x: rect.x + headerWidth + 1 + shownColumns * cellWidth,
                y: rect.y, style: CellStyle(foreground: .yellow),
                maxWidth: max(0, rect.x + rect.width - (rect.x + headerWidth + 1 + shownColumns * cellWidth)))
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
                let (symbol, style) = statusSymbol(
                    cell.value, age: now - cell.time, staleAfter: staleAfter(cell.labels),
                    silenced: silenced(cell.labels))
                canvas.write(symbol, x: x, y: y, style: style)
            }
        }
        // Which rows are shown, where the column headings leave room.
        let range = "\(first + 1)-\(min(rowNames.count, first + visible))/\(rowNames.count)"
        let headingsEnd =
            rect.x + headerWidth + 1 + shownColumns * cellWidth + (shownColumns < columnNames.count ? 4 : 0)
        if rowNames.count > visible && headingsEnd + TerminalText.width(of: range) < rect.x + rect.width {
            canvas.write(
                range, x: rect.x + rect.width - TerminalText.width(of: range), y: rect.y, style: CellStyle(dim: true))
        }
    }

    static func statusSymbol(_ value: Double, age: Int64, staleAfter: Int64 = 180_000, silenced: Bool) -> (
        String, CellStyle
    ) {
        if silenced { return ("◌", CellStyle(foreground: .blue)) }
        if age > staleAfter { return ("?", CellStyle(dim: true)) }
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
}

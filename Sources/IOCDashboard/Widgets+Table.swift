import Foundation
import IOCCore

extension Widgets {
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
            canvas.write(canvas.language.localized("dash.no_data"), x: rect.x, y: rect.y, style: CellStyle(dim: true))
            return
        }
        let sorted = Array(all.prefix(max(0, rect.height - 1)))
        let built = tableColumns(sorted, columns: columns, panel: panel, language: canvas.language)
        let rankWidth = String(all.count).count + 1
        let widths = built.map { column in
            max(
                TerminalText.width(of: column.title),
                column.cells.map { TerminalText.width(of: $0?.text ?? "–") }.max() ?? 0)
        }
        // The name gets at least 10 cells; columns beyond what fits are left out, and the heading
        // says how many ("+2"), with room kept for saying so.
        var shown = 0
        var used = rankWidth + 10
        while shown < built.count && used + widths[shown] + 1 <= rect.width {
            used += widths[shown] + 1
            shown += 1
        }
        let hidden = built.count - shown
        let marker = hidden > 0 ? "+\(hidden)" : ""
        while shown > 0 && hidden > 0 && used + marker.count + 1 > rect.width {
            shown -= 1
            used -= widths[shown] + 1
        }
        let markerText = built.count - shown > 0 ? "+\(built.count - shown)" : ""
        if !markerText.isEmpty { used += markerText.count + 1 }
        let nameWidth = rect.width - (used - 10) - rankWidth
        canvas.write("#", x: rect.x, y: rect.y, style: CellStyle(dim: true))
        canvas.write(
            canvas.language.localized("table.name"), x: rect.x + rankWidth, y: rect.y, style: CellStyle(dim: true),
            maxWidth: nameWidth)
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
        if !markerText.isEmpty {
            canvas.write(markerText, x: x + 1, y: rect.y, style: CellStyle(foreground: .yellow))
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

    /// One column of a table: its title, its cells for the shown rows (text and colour; nil where
    /// the row has no value), and whether it is right-aligned.
    struct TableColumn {
        var title: String
        var cells: [(text: String, color: TerminalColor?)?]
        var right: Bool
    }

    /// The value column and each further column's cells for the rows shown.
    static func tableColumns(
        _ sorted: [(labels: Labels, value: Double, time: Int64)],
        columns: [[(labels: Labels, value: Double, time: Int64)]], panel: DashboardFile.Panel, language: Language
    ) -> [TableColumn] {
        var built = [
            TableColumn(
                title: localTitle(panel.valueTitle, language),
                cells: sorted.map {
                    (
                        UnitFormat.format($0.value, panel.unit, language),
                        color(for: $0.value, thresholds: panel.thresholds, fallback: nil)
                    )
                }, right: true)
        ]
        // The labels each row is matched on, worked out once for all the columns.
        let rowKeys = sorted.map { joinLabels(panel, row: $0.labels) }
        for (index, column) in panel.columns.enumerated() {
            let values = index < columns.count ? columns[index] : []
            let cells: [(text: String, color: TerminalColor?)?] = zip(sorted, rowKeys).map { row, keys in
                guard
                    let match = values.first(where: { element in
                        keys.allSatisfy { element.labels[$0] == row.labels[$0] }
                    })
                else { return nil }
                let text =
                    column.text.map { legend(match.labels, format: $0) }
                    ?? UnitFormat.format(match.value, column.unit, language)
                return (text, color(for: match.value, thresholds: column.thresholds, fallback: nil))
            }
            built.append(
                TableColumn(title: localTitle(column.title, language), cells: cells, right: column.text == nil))
        }
        return built
    }

    /// A ranking: rank, name (legend), value, sorted by value.
    static func table(
        _ elements: [(labels: Labels, value: Double, time: Int64)], panel: DashboardFile.Panel, selection: Int?,
        in rect: Rect, on canvas: inout Canvas
    ) {
        let all = sortedElements(elements, panel: panel)
        guard !all.isEmpty else {
            canvas.write(canvas.language.localized("dash.no_data"), x: rect.x, y: rect.y, style: CellStyle(dim: true))
            return
        }
        // Only the rows that fit are formatted.
        let sorted = all.prefix(max(0, rect.height - 1))
        let values = sorted.map { UnitFormat.format($0.value, panel.unit, canvas.language) }
        let valueWidth = max(5, values.map { TerminalText.width(of: $0) }.max() ?? 5)
        let rankWidth = String(all.count).count + 1
        canvas.write("#", x: rect.x, y: rect.y, style: CellStyle(dim: true))
        canvas.write(
            canvas.language.localized("table.name"), x: rect.x + rankWidth, y: rect.y, style: CellStyle(dim: true))
        let valueTitle = canvas.language.localized("table.value")
        canvas.write(
            valueTitle, x: rect.x + rect.width - max(valueWidth, TerminalText.width(of: valueTitle)), y: rect.y,
            style: CellStyle(dim: true))
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
}

import Foundation
import IOCCore

extension Widgets {
    static func barChart(
        _ elements: [(labels: Labels, value: Double, time: Int64)], panel: DashboardFile.Panel, in rect: Rect,
        on canvas: inout Canvas
    ) {
        let sorted = sortedElements(elements, panel: panel).prefix(rect.height)
        guard let largest = sorted.map({ abs($0.value) }).max(), !sorted.isEmpty else {
            canvas.write(canvas.language.localized("dash.no_data"), x: rect.x, y: rect.y, style: CellStyle(dim: true))
            return
        }
        let names = sorted.map { legend($0.labels, format: panel.legend) }
        let nameWidth = min(rect.width / 3, names.map { TerminalText.width(of: $0) }.max() ?? 0)
        let valueTexts = sorted.map { UnitFormat.format($0.value, panel.unit, canvas.language) }
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
}

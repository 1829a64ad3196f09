import Foundation
import IOCCore

extension Widgets {
    static func gauge(_ value: Double?, panel: DashboardFile.Panel, in rect: Rect, on canvas: inout Canvas) {
        guard let value else {
            canvas.write(canvas.language.localized("dash.no_data"), x: rect.x, y: rect.y, style: CellStyle(dim: true))
            return
        }
        let label = UnitFormat.format(value, panel.unit, canvas.language)
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
}

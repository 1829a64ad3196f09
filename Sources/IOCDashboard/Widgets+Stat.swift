import Foundation
import IOCCore

extension Widgets {
    static func stat(_ value: Double?, panel: DashboardFile.Panel, in rect: Rect, on canvas: inout Canvas) {
        guard let value else {
            canvas.write(
                canvas.language.localized("dash.no_data"), x: rect.x, y: rect.y + rect.height / 2,
                style: CellStyle(dim: true))
            return
        }
        let text = UnitFormat.format(value, panel.unit, canvas.language)
        let x = rect.x + max(0, (rect.width - TerminalText.width(of: text)) / 2)
        canvas.write(
            text, x: x, y: rect.y + max(0, (rect.height - 1) / 2),
            style: CellStyle(foreground: color(for: value, thresholds: panel.thresholds), bold: true),
            maxWidth: rect.width)
    }
}

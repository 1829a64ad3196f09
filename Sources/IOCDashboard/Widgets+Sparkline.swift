import Foundation
import IOCCore

extension Widgets {
    static func sparkline(_ series: Series?, panel: DashboardFile.Panel, in rect: Rect, on canvas: inout Canvas) {
        guard let series, let last = series.samples.last else {
            canvas.write(canvas.language.localized("dash.no_data"), x: rect.x, y: rect.y, style: CellStyle(dim: true))
            return
        }
        let label = UnitFormat.format(last.value, panel.unit, canvas.language)
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
}

import Foundation
import IOCCore

extension Widgets {
    /// A line chart in braille (2 × 4 dots a cell) with the y axis' labels on the left, the times of
    /// both ends below, and a legend.
    static func lineChart(
        _ series: [Series], from: Int64, through: Int64, panel: DashboardFile.Panel, in rect: Rect,
        on canvas: inout Canvas
    ) {
        let shown = Array(series.prefix(Widgets.seriesColors.count))
        let values = shown.flatMap { $0.samples.map(\.value) }.filter(\.isFinite)
        guard let low = values.min(), let high = values.max(), rect.height >= 3 else {
            canvas.write(canvas.language.localized("dash.no_data"), x: rect.x, y: rect.y, style: CellStyle(dim: true))
            return
        }
        let legendRows = min(shown.count, max(0, (rect.height - 2) / 3))
        let bottom = low > 0 && low < high / 4 ? 0 : low
        let top = high == bottom ? bottom + 1 : high
        let labels = [top, (top + bottom) / 2, bottom].map { UnitFormat.format($0, panel.unit, canvas.language) }
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
            let latest = item.samples.last.map { UnitFormat.format($0.value, panel.unit, canvas.language) } ?? "–"
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
}

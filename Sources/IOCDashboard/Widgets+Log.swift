import Foundation
import IOCCore

extension Widgets {
    /// The latest changes of alerts, newest first: time (display zone), change, alert, where, summary.
    static func log(_ lines: [LogLine], in rect: Rect, on canvas: inout Canvas) {
        guard !lines.isEmpty else {
            canvas.write(canvas.language.localized("dash.log_empty"), x: rect.x, y: rect.y, style: CellStyle(dim: true))
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
            let change = canvas.language.word("change", line.change)
            // The longest change ("cancelled") still leaves a space before the alert's name.
            let width = canvas.language == .vi ? 4 : 9
            x = canvas.write(
                " " + TerminalText.pad(change, to: width) + " ", x: x, y: y, style: style, maxWidth: max(0, end - x))
            let place = [
                line.labels["province"] ?? line.labels["platform"], line.labels["service"] ?? line.labels["peer"],
            ]
            .compactMap { $0 }.joined(separator: "/")
            x = canvas.write(
                (line.labels["alertname"] ?? "") + " ", x: x, y: y, style: CellStyle(bold: true),
                maxWidth: max(0, end - x))
            canvas.write((place.isEmpty ? "" : place + " ") + line.summary, x: x, y: y, maxWidth: max(0, end - x))
        }
    }
}

import Foundation
import IOCCore

extension Widgets {
    /// Firing first, then pending; each with its age, severity, name, labels and summary.
    static func alertList(_ alerts: [AlertRow], now: Int64, selection: Int?, in rect: Rect, on canvas: inout Canvas) {
        guard !alerts.isEmpty else {
            canvas.write("no active alerts", x: rect.x, y: rect.y, style: CellStyle(foreground: .green))
            return
        }
        for (index, alert) in alerts.prefix(rect.height).enumerated() {
            let y = rect.y + index
            let firing = alert.state == .firing
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
}

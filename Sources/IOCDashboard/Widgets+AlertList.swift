import Foundation
import IOCCore

extension Widgets {
    /// A count of the alerts by severity, then the alerts in priority order (`AlertRow.byPriority`),
    /// each with its age, severity, name, place and summary; when they do not all fit, the last
    /// line says how many more there are.
    static func alertList(_ alerts: [AlertRow], now: Int64, selection: Int?, in rect: Rect, on canvas: inout Canvas) {
        guard !alerts.isEmpty else {
            canvas.write("no active alerts", x: rect.x, y: rect.y, style: CellStyle(foreground: .green))
            return
        }
        guard rect.height > 0 else { return }
        alertCounts(alerts, in: rect, on: &canvas)
        let room = rect.height - 1
        let shown = alerts.count > room ? max(0, room - 1) : room
        for (index, alert) in alerts.prefix(shown).enumerated() {
            alertLine(alert, now: now, selected: selection == index, y: rect.y + 1 + index, in: rect, on: &canvas)
        }
        if alerts.count > shown && room > 0 {
            canvas.write(
                "+\(alerts.count - shown) more (ioc alerts)", x: rect.x, y: rect.y + room,
                style: CellStyle(dim: true), maxWidth: rect.width)
        }
    }

    /// One alert: state, age, severity, name, place (province/service), summary. A narrow panel
    /// (under 60 columns) puts the place right after the state and leaves the severity to the colour
    /// and the counts line: where it is matters more than how it is worded.
    static func alertLine(
        _ alert: AlertRow, now: Int64, selected: Bool, y: Int, in rect: Rect, on canvas: inout Canvas
    ) {
        let firing = alert.state == .firing
        let narrow = rect.width < 60
        // A muted alert says why: a silence, an inhibition (a worse alert of the same place), maintenance.
        let muted: (wide: String, narrow: String) =
            switch alert.mute {
            case "inhibited": ("INHIB ", "INHB")
            case "maintenance": ("MAINT ", "MNT ")
            default: ("MUTED ", "MUTE")
            }
        let stateText =
            alert.silenced
            ? (narrow ? muted.narrow : muted.wide)
            : narrow ? (firing ? "FIRE" : "PEND") : (firing ? "FIRING" : "PEND  ")
        let severity = alert.labels["severity"] ?? ""
        let style =
            alert.silenced
            ? CellStyle(foreground: .blue)
            : CellStyle(
                foreground: firing ? (severity == "critical" || !narrow ? .red : .yellow) : .yellow, bold: firing)
        let end = rect.x + rect.width
        var x = canvas.write(
            stateText, x: rect.x, y: y, style: selected ? CellStyle(reverse: true) : style, maxWidth: rect.width)
        let place = [
            alert.labels["province"] ?? alert.labels["platform"], alert.labels["service"] ?? alert.labels["peer"],
        ]
        .compactMap { $0 }.joined(separator: "/")
        let age = UnitFormat.age(now - alert.activeAt)
        if narrow {
            if !place.isEmpty {
                x = canvas.write(" " + place, x: x, y: y, style: CellStyle(bold: true), maxWidth: max(0, end - x))
            }
            x = canvas.write(" " + (alert.labels["alertname"] ?? ""), x: x, y: y, maxWidth: max(0, end - x))
            x = canvas.write(" " + age, x: x, y: y, style: CellStyle(dim: true), maxWidth: max(0, end - x))
            canvas.write(" " + alert.summary, x: x, y: y, style: CellStyle(dim: true), maxWidth: max(0, end - x))
            return
        }
        x = canvas.write(
            " " + TerminalText.pad(age, to: 6, alignRight: true), x: x, y: y, style: CellStyle(dim: true),
            maxWidth: max(0, end - x))
        x = canvas.write(" " + TerminalText.pad(severity, to: 8), x: x, y: y, maxWidth: max(0, end - x))
        x = canvas.write(
            " " + (alert.labels["alertname"] ?? ""), x: x, y: y, style: CellStyle(bold: true), maxWidth: max(0, end - x)
        )
        canvas.write(" " + (place.isEmpty ? "" : place + " ") + alert.summary, x: x, y: y, maxWidth: max(0, end - x))
    }

    /// `2 critical · 26 warning · 1 muted · 3 pending`: the firing alerts by severity, then the
    /// muted and the pending ones.
    static func alertCounts(_ alerts: [AlertRow], in rect: Rect, on canvas: inout Canvas) {
        let firing = alerts.filter { $0.group == 0 }
        var parts: [(String, CellStyle)] = []
        for (name, rank, style) in [
            ("critical", 0, CellStyle(foreground: .red, bold: true)), ("warning", 1, CellStyle(foreground: .yellow)),
            ("info", 2, CellStyle()), ("other", 3, CellStyle()),
        ] {
            let count = firing.filter { $0.severityRank == rank }.count
            if count > 0 { parts.append(("\(count) \(name)", style)) }
        }
        let muted = alerts.filter { $0.group == 1 }.count
        let pending = alerts.filter { $0.group == 2 }.count
        if muted > 0 { parts.append(("\(muted) muted", CellStyle(foreground: .blue))) }
        if pending > 0 { parts.append(("\(pending) pending", CellStyle(dim: true))) }
        var x = rect.x
        for (index, part) in parts.enumerated() {
            if index > 0 {
                x = canvas.write(" · ", x: x, y: rect.y, style: CellStyle(dim: true), maxWidth: rect.x + rect.width - x)
            }
            x = canvas.write(part.0, x: x, y: rect.y, style: part.1, maxWidth: max(0, rect.x + rect.width - x))
        }
    }
}

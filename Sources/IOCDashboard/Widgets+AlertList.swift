import Foundation
import IOCCore

extension Widgets {
    /// A count of the alerts by severity, then the alerts in priority order (`AlertRow.byPriority`),
    /// each with its age, severity, name, place and summary; when they do not all fit, the last
    /// line says how many more there are.
    static func alertList(_ alerts: [AlertRow], now: Int64, selection: Int?, in rect: Rect, on canvas: inout Canvas) {
        let language = canvas.language
        guard !alerts.isEmpty else {
            canvas.write(language.localized("alerts.none"), x: rect.x, y: rect.y, style: CellStyle(foreground: .green))
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
                language.localized("alerts.more", ["count": "\(alerts.count - shown)"]), x: rect.x, y: rect.y + room,
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
        let language = canvas.language
        // A muted alert says why: a silence, an inhibition (a worse alert of the same place), maintenance.
        let key =
            alert.silenced
            ? (alert.mute == "inhibited"
                ? "alerts.inhibited" : alert.mute == "maintenance" ? "alerts.maintenance" : "alerts.muted")
            : firing ? "alerts.firing" : "alerts.pending"
        let stateText = stateWord(key, narrow: narrow, language)
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
        let age = UnitFormat.age(now - alert.activeAt, language)
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
            " " + TerminalText.pad(age, to: language == .vi ? 12 : 6, alignRight: true), x: x, y: y,
            style: CellStyle(dim: true),
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
        let language = canvas.language
        for (name, rank, style) in [
            ("critical", 0, CellStyle(foreground: .red, bold: true)), ("warning", 1, CellStyle(foreground: .yellow)),
            ("info", 2, CellStyle()), ("other", 3, CellStyle()),
        ] {
            let count = firing.filter { $0.severityRank == rank }.count
            if count > 0 { parts.append(("\(count) " + language.localized("severity." + name), style)) }
        }
        let muted = alerts.filter { $0.group == 1 }.count
        let pending = alerts.filter { $0.group == 2 }.count
        if muted > 0 {
            parts.append(
                (language.localized("alerts.count_muted", ["count": "\(muted)"]), CellStyle(foreground: .blue)))
        }
        if pending > 0 {
            parts.append((language.localized("alerts.count_pending", ["count": "\(pending)"]), CellStyle(dim: true)))
        }
        var x = rect.x
        for (index, part) in parts.enumerated() {
            if index > 0 {
                x = canvas.write(" · ", x: x, y: rect.y, style: CellStyle(dim: true), maxWidth: rect.x + rect.width - x)
            }
            x = canvas.write(part.0, x: x, y: rect.y, style: part.1, maxWidth: max(0, rect.x + rect.width - x))
        }
    }

    /// A state's word, padded to the widest of the states in this language so that the columns
    /// after it line up: `FIRING`/`FIRE` and `PEND  ` in English, `BÁO ` and `CHỜ ` in Vietnamese.
    static func stateWord(_ key: String, narrow: Bool, _ language: Language) -> String {
        let keys = ["alerts.firing", "alerts.pending", "alerts.muted", "alerts.inhibited", "alerts.maintenance"]
        let short = [
            "alerts.firing": "alerts.firing_short", "alerts.muted": "alerts.muted_short",
            "alerts.inhibited": "alerts.inhibited_short", "alerts.maintenance": "alerts.maintenance_short",
        ]
        func word(_ key: String) -> String { language.localized(narrow ? short[key] ?? key : key) }
        let width = keys.map { TerminalText.width(of: word($0)) }.max() ?? 0
        return TerminalText.pad(word(key), to: narrow ? min(width, 4) : width)
    }
}

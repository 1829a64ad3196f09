import Foundation
public import IOCCore

/// A rectangle of the canvas.
public struct Rect: Sendable, Equatable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    /// The inside of a box drawn around this rectangle.
    var inner: Rect { Rect(x: x + 1, y: y + 1, width: width - 2, height: height - 2) }
}

/// What a panel shows, worked out from its query.
public enum PanelData: Sendable {
    /// An instant query's elements: labels, value, and the time of the sample.
    case instant([(labels: Labels, value: Double, time: Int64)])
    /// A table's own query's elements, and those of each of its further columns.
    case table(
        [(labels: Labels, value: Double, time: Int64)], columns: [[(labels: Labels, value: Double, time: Int64)]])
    /// A range query's series over `from...through`.
    case range([Series], from: Int64, through: Int64)
    case alerts([AlertRow])
    case log([LogLine])
    case text(String)
    case failure(String)
}

/// One line of an alert list.
public struct AlertRow: Sendable, Equatable {
    public var state: AlertState
    public var labels: Labels
    public var summary: String
    public var activeAt: Int64
    /// Firing but not notified: by a silence, an inhibition or a maintenance window (`mute` says which).
    public var silenced: Bool
    public var mute: String?

    public init(
        state: AlertState, labels: Labels, summary: String, activeAt: Int64, silenced: Bool, mute: String? = nil
    ) {
        self.state = state
        self.labels = labels
        self.summary = summary
        self.activeAt = activeAt
        self.silenced = silenced
        self.mute = silenced ? (mute ?? "silenced") : nil
    }

    /// The order an operations centre reads alerts in: firing before muted before pending, and
    /// within each, critical, warning, info, then other severities, oldest first.
    public static func byPriority(_ a: AlertRow, _ b: AlertRow) -> Bool {
        (a.group, a.severityRank, a.activeAt) < (b.group, b.severityRank, b.activeAt)
    }

    /// 0 firing, 1 firing but silenced, 2 pending.
    var group: Int { state == .firing ? (silenced ? 1 : 0) : 2 }

    var severityRank: Int {
        switch labels["severity"] {
        case "critical": 0
        case "warning": 1
        case "info": 2
        default: 3
        }
    }
}

/// One line of the alert log: a change of an alert.
public struct LogLine: Sendable, Equatable {
    public var time: Int64
    public var change: String
    public var labels: Labels
    public var summary: String

    public init(time: Int64, change: String, labels: Labels, summary: String) {
        self.time = time
        self.change = change
        self.labels = labels
        self.summary = summary
    }
}

/// Drawing the widgets into a canvas. Every string from outside goes through `Canvas.write`, which
/// strips control characters and escape sequences and clips by display width.
public enum Widgets {
    static let seriesColors: [TerminalColor] = [.green, .yellow, .cyan, .magenta, .blue, .red, .white]

    /// A box with a title, as every panel has.
    public static func box(_ title: String, in rect: Rect, on canvas: inout Canvas, focused: Bool = false) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let style = CellStyle(foreground: focused ? .cyan : nil, dim: !focused)
        let horizontal = String(repeating: "─", count: rect.width - 2)
        canvas.write("┌" + horizontal + "┐", x: rect.x, y: rect.y, style: style)
        for row in (rect.y + 1)..<(rect.y + rect.height - 1) {
            canvas.write("│", x: rect.x, y: row, style: style)
            canvas.write("│", x: rect.x + rect.width - 1, y: row, style: style)
        }
        canvas.write("└" + horizontal + "┘", x: rect.x, y: rect.y + rect.height - 1, style: style)
        if !title.isEmpty {
            // A bilingual title that does not fit keeps its first language whole rather than both cut.
            let room = rect.width - 4
            let local = localTitle(title, canvas.language)
            let shown = TerminalText.width(of: " \(local) ") <= room ? local : shortTitle(local)
            canvas.write(" \(shown) ", x: rect.x + 2, y: rect.y, style: CellStyle(bold: true), maxWidth: room)
        }
    }

    /// A bilingual title, `Sẵn sàng / Available now`, in one language: the part before ` / ` in
    /// Vietnamese, the part after it in English; a title without ` / ` as it is.
    static func localTitle(_ title: String, _ language: Language) -> String {
        guard let slash = title.range(of: " / ") else { return title }
        return String(language == .vi ? title[..<slash.lowerBound] : title[slash.upperBound...])
    }

    /// `Sẵn sàng / Available now` → `Sẵn sàng`: the Vietnamese part of a bilingual title.
    static func shortTitle(_ title: String) -> String {
        guard let slash = title.range(of: " / ") else { return title }
        return String(title[..<slash.lowerBound])
    }

    static func color(for value: Double, thresholds: [DashboardFile.Threshold], fallback: TerminalColor? = .green)
        -> TerminalColor?
    {
        var chosen = fallback
        for threshold in thresholds where value >= threshold.value { chosen = threshold.color }
        return chosen
    }

    /// `{{province}} {{service}}` with the series' labels; without a format, the labels that differ.
    static func legend(_ labels: Labels, format: String?) -> String {
        guard let format else {
            let shown = labels.pairs.filter { $0.name != Labels.metricName }
            return shown.isEmpty ? (labels.metric ?? "value") : shown.map(\.value).joined(separator: " ")
        }
        var result = ""
        var rest = Substring(format)
        while let open = rest.range(of: "{{") {
            result += rest[..<open.lowerBound]
            guard let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex) else {
                result += rest[open.lowerBound...]
                return result
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            result += labels[name] ?? ""
            rest = rest[close.upperBound...]
        }
        return result + rest
    }

    static func sortedElements(_ elements: [(labels: Labels, value: Double, time: Int64)], panel: DashboardFile.Panel)
        -> [(labels: Labels, value: Double, time: Int64)]
    {
        let sorted = elements.sorted { a, b in
            a.value != b.value ? (panel.ascending ? a.value < b.value : a.value > b.value) : a.labels < b.labels
        }
        return panel.limit.map { Array(sorted.prefix($0)) } ?? sorted
    }
}

/// Values as people read them, in a panel's unit.
public enum UnitFormat {
    public static func format(_ value: Double, _ unit: DashboardFile.Unit, _ language: Language) -> String {
        guard value.isFinite else { return value.isNaN ? "–" : (value > 0 ? "+∞" : "−∞") }
        switch unit {
        case .seconds:
            if abs(value) < 1 { return number(value * 1000) + " ms" }
            if abs(value) < 60 { return number(value) + " s" }
            return age(Int64(Cells.count(value * 1000)), language)
        case .milliseconds: return number(value) + " ms"
        case .percent: return number(value) + "%"
        case .days: return language.localized("unit.days", ["n": number(value)])
        case .bytes:
            var scaled = value
            for unit in ["B", "KiB", "MiB", "GiB", "TiB"] {
                if abs(scaled) < 1024 || unit == "TiB" { return number(scaled) + " " + unit }
                scaled /= 1024
            }
            return number(scaled)
        case .change: return (value > 0 ? "+" : value < 0 ? "-" : "±") + number(abs(value))
        case .plain: return number(value)
        }
    }

    /// Three significant digits, at most two decimals: 0.123, 12.3, 1234.
    static func number(_ value: Double) -> String {
        let magnitude = abs(value)
        // A feed's 1e300 would be three hundred digits: past 10¹⁵, three significant digits and an exponent.
        if magnitude >= 1e15 { return String(format: "%.3g", value) }
        let decimals = magnitude >= 100 || magnitude == magnitude.rounded() ? 0 : (magnitude >= 10 ? 1 : 2)
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    /// `45s`, `12m`, `3h 5m`, `2d 4h`; in Vietnamese `45 giây`, `12 phút`, `3 giờ 5 phút`, `2 ngày 4 giờ`.
    public static func age(_ milliseconds: Int64, _ language: Language) -> String {
        let seconds = max(0, milliseconds / 1000)
        if seconds < 60 { return language.localized("age.seconds", ["s": "\(seconds)"]) }
        if seconds < 3600 { return language.localized("age.minutes", ["m": "\(seconds / 60)"]) }
        if seconds < 86_400 {
            return language.localized("age.hours", ["h": "\(seconds / 3600)", "m": "\(seconds / 60 % 60)"])
        }
        return language.localized("age.days", ["d": "\(seconds / 86_400)", "h": "\(seconds / 3600 % 24)"])
    }

    /// `HH:MM` in the display zone (`DisplayZone.current`), the time of the operations room.
    static func clock(_ milliseconds: Int64) -> String {
        let local = DisplayZone.current.local(milliseconds) / 1000
        let seconds = (local % 86_400 + 86_400) % 86_400
        return String(format: "%02d:%02d", Int(seconds / 3600), Int(seconds / 60 % 60))
    }
}

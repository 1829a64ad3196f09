import Foundation

/// UTC calendar time for display, computed without Foundation's locale-dependent formatters.
public enum UTCTime {
    /// `2026-11-29 03:44:40 UTC` for a time in ms since the epoch, without depending on the locale.
    public static func format(_ milliseconds: Int64) -> String {
        let seconds = milliseconds / 1000
        let (year, month, day) = CalendarPeriod.civilDate(days: seconds / 86_400)
        let rest = Int(seconds % 86_400)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60)) UTC"
    }

    /// A time as the people of the centre read it, in the display zone (`DisplayZone.current`:
    /// iocd.yaml's `time_zone`, Viet Nam's by default, UTC with `--utc`): `2026-12-03 23:35:25 +07`.
    public static func display(_ milliseconds: Int64, zone: DisplayZone = .current) -> String {
        guard zone.identifier != "UTC" else { return format(milliseconds) }
        return format(zone.local(milliseconds)).replacingOccurrences(
            of: " UTC", with: " " + zone.suffix(at: milliseconds))
    }

    /// `display` as the language writes a date: Vietnamese puts the time first and the day before
    /// the month, `10:51:40 29/11/2026 +07`; English keeps `2026-11-29 10:51:40 +07`.
    public static func display(_ milliseconds: Int64, zone: DisplayZone = .current, language: Language) -> String {
        let text = display(milliseconds, zone: zone)
        let parts = text.split(separator: " ", maxSplits: 2).map(String.init)
        let date = parts.first?.split(separator: "-").map(String.init) ?? []
        guard language == .vi, parts.count == 3, date.count == 3 else { return text }
        return "\(parts[1]) \(date[2])/\(date[1])/\(date[0]) \(parts[2])"
    }

    /// RFC 3339 in UTC: `2026-12-01T05:20:00.123Z`, or without the milliseconds
    /// (`2026-12-01T05:20:00Z`).
    public static func rfc3339(_ milliseconds: Int64, fraction: Bool = true) -> String {
        // Wrapping, not trapping, at the very ends of Int64 (no such time is stored).
        let remainder = ((milliseconds % 1000) + 1000) % 1000
        let base = format(milliseconds &- remainder).replacingOccurrences(of: " UTC", with: "")
            .replacingOccurrences(of: " ", with: "T")
        guard fraction else { return base + "Z" }
        let digits = String(remainder)
        return base + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// Milliseconds since the epoch of an RFC 3339 time, with or without a fraction of a second
    /// and in any offset (`2026-12-01T12:20:00+07:00`); nil for anything else.
    public static func parseRFC3339(_ text: String) -> Int64? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = formatter.date(from: text) ?? plainFormatter(text) else { return nil }
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        return milliseconds.isFinite ? Int64(exactly: milliseconds) : nil
    }

    private static func plainFormatter(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}

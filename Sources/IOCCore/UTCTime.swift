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
}

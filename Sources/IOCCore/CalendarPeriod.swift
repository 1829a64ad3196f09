/// A calendar year, quarter or month of Viet Nam's civil time (UTC+7 all year: Asia/Ho_Chi_Minh
/// has had no daylight saving since 1975), as reports and scorecards count them.
public struct CalendarPeriod: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case year
        case quarter(Int)
        case month(Int)
    }

    /// Asia/Ho_Chi_Minh's offset from UTC.
    public static let utcOffsetMilliseconds: Int64 = 7 * 3_600_000

    public let year: Int
    public let kind: Kind

    public init(year: Int, kind: Kind) {
        self.year = year
        self.kind = kind
    }

    /// "2026", "2026-Q3" or "2026-11"; nil for anything else.
    public init?(parsing text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, first.count == 4, let year = Int(first), year >= 1970 else { return nil }
        switch parts.count {
        case 1:
            self.init(year: year, kind: .year)
        case 2 where parts[1].count == 2 && (parts[1].first == "Q" || parts[1].first == "q"):
            guard let quarter = Int(parts[1].dropFirst()), (1...4).contains(quarter) else { return nil }
            self.init(year: year, kind: .quarter(quarter))
        case 2 where parts[1].count == 2:
            guard let month = Int(parts[1]), (1...12).contains(month) else { return nil }
            self.init(year: year, kind: .month(month))
        default:
            return nil
        }
    }

    /// The month containing `time` (ms since the epoch).
    public static func month(containing time: Int64) -> CalendarPeriod {
        let days = Int64((Double(time + utcOffsetMilliseconds) / 86_400_000).rounded(.down))
        let (year, month, _) = civilDate(days: days)
        return CalendarPeriod(year: year, kind: .month(month))
    }

    /// The first instant of the period, in ms since the epoch.
    public var start: Int64 {
        switch kind {
        case .year: Self.instant(year: year, month: 1)
        case .quarter(let quarter): Self.instant(year: year, month: 3 * quarter - 2)
        case .month(let month): Self.instant(year: year, month: month)
        }
    }

    /// The first instant after the period, in ms since the epoch.
    public var end: Int64 {
        switch kind {
        case .year: Self.instant(year: year + 1, month: 1)
        case .quarter(let quarter):
            quarter == 4 ? Self.instant(year: year + 1, month: 1) : Self.instant(year: year, month: 3 * quarter + 1)
        case .month(let month):
            month == 12 ? Self.instant(year: year + 1, month: 1) : Self.instant(year: year, month: month + 1)
        }
    }

    /// The period just before this one, of the same kind.
    public var previous: CalendarPeriod {
        switch kind {
        case .year: CalendarPeriod(year: year - 1, kind: .year)
        case .quarter(let quarter):
            quarter == 1
                ? CalendarPeriod(year: year - 1, kind: .quarter(4))
                : CalendarPeriod(year: year, kind: .quarter(quarter - 1))
        case .month(let month):
            month == 1
                ? CalendarPeriod(year: year - 1, kind: .month(12)) : CalendarPeriod(year: year, kind: .month(month - 1))
        }
    }

    public var description: String {
        switch kind {
        case .year: String(year)
        case .quarter(let quarter): "\(year)-Q\(quarter)"
        case .month(let month): "\(year)-\(month < 10 ? "0" : "")\(month)"
        }
    }

    /// Midnight UTC+7 at the start of the first day of `month`, in ms since the epoch.
    static func instant(year: Int, month: Int) -> Int64 {
        days(year: year, month: month, day: 1) * 86_400_000 - utcOffsetMilliseconds
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    public static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * Int64(month > 2 ? month - 3 : month + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day counted from 1970-01-01 (civil_from_days).
    public static func civilDate(days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0)), Int(month), Int(day))
    }
}

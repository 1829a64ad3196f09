import IOCCore

/// The parts of a UTC date that `day_of_week`, `hour`, `year` and the others give, from the seconds
/// since 1970 by integer arithmetic over the proleptic Gregorian calendar (`CalendarPeriod`'s), as
/// Go's `time` package (and so Prometheus) counts. Foundation's calendar turns Julian before October
/// 1582, and took about a microsecond a value: a range query of 16,000 values spent most of its time
/// there.
struct DateParts {
    let year: Int64
    /// 1 to 12.
    let month: Int64
    /// 1 to 31.
    let day: Int64
    /// 0 (Sunday) to 6.
    let weekday: Int64
    let hour: Int64
    let minute: Int64
    /// Days since 1970-01-01.
    private let days: Int64

    /// The date of `seconds` since 1970-01-01T00:00:00Z, before it as well (within ±2⁶² s).
    init(seconds: Int64) {
        let (days, second) = Self.floorDivision(seconds, 86_400)
        self.days = days
        hour = second / 3_600
        minute = second % 3_600 / 60
        // 1970-01-01 was a Thursday.
        weekday = Self.floorDivision(days + 4, 7).remainder
        let date = CalendarPeriod.civilDate(days: days)
        (year, month, day) = (Int64(date.year), Int64(date.month), Int64(date.day))
    }

    var daysInMonth: Int64 {
        let (nextYear, nextMonth) = month == 12 ? (year + 1, 1) : (year, month + 1)
        return CalendarPeriod.days(year: Int(nextYear), month: Int(nextMonth), day: 1)
            - CalendarPeriod.days(year: Int(year), month: Int(month), day: 1)
    }

    /// 1 to 366.
    var dayOfYear: Int64 { days - CalendarPeriod.days(year: Int(year), month: 1, day: 1) + 1 }

    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}

extension Evaluation {
    /// The date functions by name: the part they take of a date.
    static let dateFunctions: [String: @Sendable (DateParts) -> Double] = [
        "day_of_week": { Double($0.weekday) },
        "day_of_month": { Double($0.day) },
        "day_of_year": { Double($0.dayOfYear) },
        "days_in_month": { Double($0.daysInMonth) },
        "hour": { Double($0.hour) },
        "minute": { Double($0.minute) },
        "month": { Double($0.month) },
        "year": { Double($0.year) },
    ]

    /// `part` of the date `seconds` after 1970, its fraction cut toward zero as Go's `int64()` does;
    /// NaN for a value that is not a time (NaN, infinite, or beyond 292 billion years).
    static func datePart(_ part: (DateParts) -> Double, _ seconds: Double) -> Double {
        guard let whole = Int64(exactly: seconds.rounded(.towardZero)), whole.magnitude < 1 << 62 else { return .nan }
        return part(DateParts(seconds: whole))
    }
}

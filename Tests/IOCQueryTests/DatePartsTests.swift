import Foundation
import IOCCore
import TestSupport
import Testing

@testable import IOCQuery

/// The date functions' arithmetic against Foundation's Gregorian calendar wherever that calendar
/// is Gregorian (from 1583), and against Go's proleptic calendar before it.
@Suite struct DatePartsTests {
    @Test func everyPartAgreesWithTheCalendar() async throws {
        try await onTestWorkThread {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
            var random = SplitMix64(seed: 766)
            // 1583-01-01 to 9999-12-31, with the leap days of 1600, 1900, 2000 and 2100 among them.
            let span = (-12_212_553_600 as Int64)...253_402_300_799
            var seconds: [Int64] = [0, -1, 951_782_400, 951_868_799, 4_107_542_400, -2_203_891_200, -11_670_912_001]
            for _ in 0..<20_000 {
                seconds.append(span.lowerBound + Int64(random.next() % UInt64(span.upperBound - span.lowerBound)))
            }
            for second in seconds {
                let date = Date(timeIntervalSince1970: TimeInterval(second))
                let parts = DateParts(seconds: second)
                let expected = calendar.dateComponents([.year, .month, .day, .weekday, .hour, .minute], from: date)
                #expect(parts.year == Int64(expected.year ?? 0), "\(second)")
                #expect(parts.month == Int64(expected.month ?? 0), "\(second)")
                #expect(parts.day == Int64(expected.day ?? 0), "\(second)")
                #expect(parts.weekday == Int64((expected.weekday ?? 0) - 1), "\(second)")
                #expect(parts.hour == Int64(expected.hour ?? 0), "\(second)")
                #expect(parts.minute == Int64(expected.minute ?? 0), "\(second)")
                #expect(parts.dayOfYear == Int64(calendar.ordinality(of: .day, in: .year, for: date) ?? 0), "\(second)")
                #expect(parts.daysInMonth == Int64(calendar.range(of: .day, in: .month, for: date)?.count ?? 0))
            }
        }
    }

    @Test func theFunctionsTakeGosTimes() throws {
        func part(_ name: String, _ seconds: Double) throws -> Double {
            Evaluation.datePart(try #require(Evaluation.dateFunctions[name]), seconds)
        }
        // Go's int64() cuts toward zero: half a second before 1970 is still its first day, a Thursday.
        #expect(try part("day_of_week", -0.5) == 4)
        #expect(try part("day_of_week", -1) == 3)
        #expect(try part("hour", -1) == 23)
        // The proleptic Gregorian calendar before 1582: 0001-01-01 was a Monday, 1000 a leap year not.
        #expect(try part("day_of_week", -62_135_596_800) == 1)
        #expect(try part("days_in_month", -30_607_545_600) == 28)
        #expect(try part("year", -62_135_596_801) == 0)
        // The farthest times taken, both ways, without a trap in any part.
        for value in [4.6e18, -4.6e18] {
            for name in Evaluation.dateFunctions.keys { #expect(try !part(name, value).isNaN, "\(name)") }
        }
        // Not a time: NaN.
        for value in [Double.nan, .infinity, -.infinity, 1e300, -9.223372036854775808e18, 9.3e18] {
            #expect(try part("year", value).isNaN)
        }
    }
}

import Foundation
import IOCCore
import IOCDaemon
import IOCQuery
import IOCStore
import Testing
import TestSupport
import IOCConfig

/// The service-hours calendar: open in working hours of weekdays, in Viet Nam's time, except on
/// holidays and in maintenance windows.
@Suite struct ServiceHoursTests {
    static let yaml = """
        service_hours:
          hours:
            - weekdays: [monday, tuesday, wednesday, thursday, friday]
              times: [{start: '07:30', end: '11:30'}, {start: '13:00', end: '17:00'}]
          holidays: ['2026-09-02', '2026-02-14..2026-02-22']
          maintenance:
            - weekdays: [thursday]
              times: [{start: '16:00', end: '17:00'}]
        """

    /// Milliseconds of a local (UTC+7) time.
    static func local(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int = 0) -> Int64 {
        (CalendarPeriod.days(year: year, month: month, day: day) * 86_400 + Int64(hour * 3600 + minute * 60) - 7 * 3600)
            * 1000
    }

    @Test func openInWorkingHoursOnlyOutsideHolidaysAndMaintenance() throws {
        let config = try DaemonConfig(from: ConfigNode.parse(yaml: Self.yaml, file: "iocd.yaml"), file: "iocd.yaml")
        let hours = try #require(config.serviceHours)
        #expect(hours.timeZone == "Asia/Ho_Chi_Minh")
        #expect(hours.isOpen(at: Self.local(2026, 9, 7, 10)))  // Monday 10:00
        #expect(hours.isOpen(at: Self.local(2026, 9, 7, 7, 30)))  // opening minute
        #expect(!hours.isOpen(at: Self.local(2026, 9, 7, 7, 29)))
        #expect(!hours.isOpen(at: Self.local(2026, 9, 7, 12)))  // lunch
        #expect(!hours.isOpen(at: Self.local(2026, 9, 7, 17)))  // closing time
        #expect(!hours.isOpen(at: Self.local(2026, 9, 5, 10)))  // Saturday
        #expect(!hours.isOpen(at: Self.local(2026, 9, 2, 10)))  // National Day, a Wednesday
        #expect(!hours.isOpen(at: Self.local(2026, 2, 18, 10)))  // inside the Tết range
        #expect(hours.isOpen(at: Self.local(2026, 2, 23, 10)))  // the Monday after
        #expect(!hours.isOpen(at: Self.local(2026, 9, 10, 16, 30)))  // Thursday maintenance
        #expect(hours.isOpen(at: Self.local(2026, 9, 10, 15, 30)))
        // The calendar is Viet Nam's, not UTC's: 03:00 there (20:00 UTC the day before) is closed.
        #expect(!hours.isOpen(at: Self.local(2026, 9, 7, 3)))
    }

    @Test(arguments: [
        ("service_hours:\n  holidays: ['2026-09-02']\n", "'hours'"),
        ("service_hours:\n  hours: []\n", "at least one window"),
        (
            "service_hours:\n  time_zone: Mars/Olympus\n  hours: [{times: [{start: '08:00', end: '17:00'}]}]\n",
            "unknown time zone"
        ),
        (
            "service_hours:\n  hours: [{times: [{start: '08:00', end: '17:00'}]}]\n  holidays: ['2026-02-30x']\n",
            "is not a date"
        ),
        ("service_hours:\n  hours: [{matchers: ['a=\"b\"']}]\n", "unknown key 'matchers'"),
        ("service_hours:\n  hours: [{weekdays: [monday]}]\n  opening: x\n", "unknown key 'opening'"),
    ])
    func aBadCalendarIsRefusedWithItsPlace(yaml: String, reason: String) {
        do {
            _ = try DaemonConfig(from: ConfigNode.parse(yaml: yaml, file: "iocd.yaml"), file: "iocd.yaml")
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect("\(error)".contains("iocd.yaml:"), "\(error)")
            #expect("\(error)".contains(reason), "\(error)")
        }
    }

    /// iocd writes ioc_service_hours from the calendar, and a reload changes it: closed on a holiday
    /// (yesterday to tomorrow, whatever the hour), open once the holiday is taken out.
    @Test func iocdWritesTheSeriesAndAReloadChangesIt() async throws {
        let directory = try TemporaryDirectory()
        let today = (WallClock.nowMilliseconds() + CalendarPeriod.utcOffsetMilliseconds) / 86_400_000
        func date(_ days: Int64) -> String {
            let (year, month, day) = CalendarPeriod.civilDate(days: days)
            return String(format: "%04d-%02d-%02d", year, month, day)
        }
        func config(holidays: String) -> String {
            """
            storage:
              path: ioc.db
            probe_files: []
            evaluation_interval: 1s
            service_hours:
              hours:
                - times: [{start: '00:00', end: '24:00'}]
              holidays: [\(holidays)]

            """
        }
        let path = try directory.write("iocd.yaml", config(holidays: "'\(date(today - 1))..\(date(today + 1))'"))
        let daemon = try TestProcess(try BuiltProduct.path("iocd"), ["--config", path])
        defer { daemon.signal(SIGTERM) }
        let store = directory.file("ioc.db")
        func value() -> Double? {
            guard let reader = try? StoreReader(path: store),
                let samples = try? InstantQuery(parsing: "ioc_service_hours").evaluate(
                    at: WallClock.nowMilliseconds(), on: reader)
            else { return nil }
            return samples.first?.sample.value
        }
        #expect(await waitUntil(timeout: .seconds(20)) { value() == 0 }, "\(daemon.standardError)")
        try directory.write("iocd.yaml", config(holidays: ""))
        daemon.signal(SIGHUP)
        #expect(await waitUntil(timeout: .seconds(20)) { value() == 1 }, "\(daemon.standardError)")
    }
}

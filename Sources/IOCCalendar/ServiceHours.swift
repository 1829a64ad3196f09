import Foundation
public import IOCCore

/// The official working hours of the offices whose services are watched, from `service_hours` in
/// iocd.yaml: open during `hours`, except on `holidays` and during `maintenance`. iocd writes it as
/// the series `ioc_service_hours` (1 open, 0 closed) every evaluation interval, so that rules,
/// dashboards and `ioc report` can count availability in service hours beside 24×7.
///
/// ```yaml
/// service_hours:
///   time_zone: Asia/Ho_Chi_Minh          # the default
///   hours:                               # when the offices are open (windows as under maintenance)
///     - weekdays: [monday, tuesday, wednesday, thursday, friday]
///       times: [{start: '07:30', end: '11:30'}, {start: '13:00', end: '17:00'}]
///     - weekdays: [saturday]             # one-stop offices that open on Saturday mornings
///       times: [{start: '07:30', end: '11:30'}]
///   holidays: ['2026-01-01', '2026-02-14..2026-02-22', '2026-04-26', '2026-04-30', '2026-05-01',
///              '2026-09-01', '2026-09-02']   # local dates, or first..last
///   maintenance:                         # announced maintenance: not counted against the SLA
///     - weekdays: [sunday]
///       times: [{start: '22:00', end: '24:00'}]
/// ```
public struct ServiceHours: Sendable {
    public var timeZone: String
    public var hours: [MaintenanceWindow]
    /// Local dates, `yyyy-mm-dd`.
    public var holidays: Set<String>
    public var maintenance: [MaintenanceWindow]

    public init(from node: ConfigNode) throws(ConfigError) {
        let fields = try node.mapping(
            of: "'service_hours'", allowedKeys: ["time_zone", "hours", "holidays", "maintenance"])
        timeZone = try fields["time_zone"]?.string("'time_zone'") ?? "Asia/Ho_Chi_Minh"
        guard TimeZone(identifier: timeZone) != nil else {
            throw (fields["time_zone"] ?? node).error(
                "unknown time zone '\(timeZone)'; expected a name like Asia/Ho_Chi_Minh")
        }
        let hoursNode = try fields.required("hours")
        hours = []
        for item in try hoursNode.sequence(of: "'hours'") {
            hours.append(try MaintenanceWindow(from: item, defaultTimeZone: timeZone, named: false))
        }
        guard !hours.isEmpty else { throw hoursNode.error("'hours' needs at least one window of opening hours") }
        holidays = []
        for item in try fields["holidays"]?.sequence(of: "'holidays'") ?? [] {
            let text = try item.string("a holiday")
            let ends = text.components(separatedBy: "..")
            guard ends.count <= 2, let first = Self.day(ends[0]), let last = Self.day(ends[ends.count - 1]),
                first <= last, last - first < 366
            else {
                throw item.error("'\(text)' is not a date like 2026-09-02 or a range like 2026-02-14..2026-02-22")
            }
            for day in first...last {
                let (year, month, date) = CalendarPeriod.civilDate(days: day)
                holidays.insert(String(format: "%04d-%02d-%02d", year, month, date))
            }
        }
        maintenance = []
        for item in try fields["maintenance"]?.sequence(of: "'maintenance'") ?? [] {
            maintenance.append(try MaintenanceWindow(from: item, defaultTimeZone: timeZone, named: false))
        }
    }

    /// Days since 1970-01-01 of `yyyy-mm-dd`, or nil.
    static func day(_ text: String) -> Int64? {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard text.count == 10, parts.count == 3, (1...12).contains(parts[1]), (1...31).contains(parts[2]) else {
            return nil
        }
        return CalendarPeriod.days(year: parts[0], month: parts[1], day: parts[2])
    }

    /// Whether the offices are open at `time` (ms since the epoch).
    public func isOpen(at time: Int64) -> Bool {
        let nothing = Labels()
        guard hours.contains(where: { $0.mutes(nothing, at: time) }) else { return false }
        guard !maintenance.contains(where: { $0.mutes(nothing, at: time) }) else { return false }
        return !holidays.contains(localDate(time))
    }

    private func localDate(_ time: Int64) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timeZone) ?? .gmt
        let parts = calendar.dateComponents(
            [.year, .month, .day], from: Date(timeIntervalSince1970: Double(time) / 1000))
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }
}

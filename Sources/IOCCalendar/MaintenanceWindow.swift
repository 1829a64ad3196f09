import Foundation
public import IOCCore
import IOCQuery

/// A recurring time when alerts (all, or those its matchers select) are not sent: on some weekdays
/// and/or dates, during some times of day, in a named time zone. A resolution of an alert that was
/// sent before the window still goes out.
///
/// ```yaml
/// - name: saturday-night
///   time_zone: Asia/Ho_Chi_Minh
///   weekdays: [saturday, sunday]
///   dates: ['2026-12-24']            # local dates; with weekdays, either may hold
///   times: [{start: '22:00', end: '24:00'}]
///   matchers: ['province="Huế"']
/// ```
public struct MaintenanceWindow: Sendable {
    public var name: String
    var timeZone: TimeZone
    /// 1 = Sunday ... 7 = Saturday, as Foundation's calendar counts them; empty with no dates: every day.
    public var weekdays: Set<Int>
    /// Local dates as `yyyy-mm-dd`.
    public var dates: Set<String>
    /// Minutes since local midnight, [start, end); empty: the whole day.
    public var times: [Range<Int>]
    public var matchers: [LabelMatcher]

    static let weekdayNames = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]

    /// Reads a window. `defaultTimeZone` applies when it names none; `named: false` makes the name
    /// optional and refuses matchers (for calendars, which apply to everything).
    public init(from node: ConfigNode, defaultTimeZone: String = "UTC", named: Bool = true) throws(ConfigError) {
        let keys = ["name", "time_zone", "weekdays", "dates", "times"] + (named ? ["matchers"] : [])
        let fields = try node.mapping(of: named ? "a maintenance window" : "a time window", allowedKeys: keys)
        name =
            named ? try fields.required("name").string("the window's name") : try fields["name"]?.string("'name'") ?? ""
        let zoneName = try fields["time_zone"]?.string("'time_zone'") ?? defaultTimeZone
        guard let zone = TimeZone(identifier: zoneName) else {
            throw fields["time_zone"]?.error("unknown time zone '\(zoneName)'; expected a name like Asia/Ho_Chi_Minh")
                ?? node.error("unknown time zone")
        }
        timeZone = zone
        weekdays = []
        for item in try fields["weekdays"]?.sequence(of: "'weekdays'") ?? [] {
            let day = try item.string("a weekday").lowercased()
            guard let index = MaintenanceWindow.weekdayNames.firstIndex(of: day) else {
                throw item.error("'\(day)' is not a weekday; expected monday ... sunday")
            }
            weekdays.insert(index + 1)
        }
        dates = []
        for item in try fields["dates"]?.sequence(of: "'dates'") ?? [] {
            let date = try item.string("a date")
            let parts = date.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 3, (1...12).contains(parts[1]), (1...31).contains(parts[2]), date.count == 10 else {
                throw item.error("'\(date)' is not a date like 2026-12-24")
            }
            dates.insert(date)
        }
        times = []
        for item in try fields["times"]?.sequence(of: "'times'") ?? [] {
            let range = try item.mapping(of: "a time range", allowedKeys: ["start", "end"])
            let startNode = try range.required("start")
            let endNode = try range.required("end")
            guard let start = MaintenanceWindow.minutes(try startNode.string("'start'")) else {
                throw startNode.error("expected a time of day like 22:00")
            }
            guard let end = MaintenanceWindow.minutes(try endNode.string("'end'")), end > start else {
                throw endNode.error("expected a time of day after 'start', like 24:00")
            }
            times.append(start..<end)
        }
        matchers = try Selector.matchers(in: fields["matchers"])
    }

    private static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), (0...24).contains(hour),
            (0..<60).contains(minute), hour * 60 + minute <= 24 * 60
        else { return nil }
        return hour * 60 + minute
    }

    /// Whether the window is open at `time` (ms) for an alert with `labels`.
    public func mutes(_ labels: Labels, at time: Int64) -> Bool {
        guard matchers.allSatisfy({ $0.matches(labels) }) else { return false }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents(
            [.year, .month, .day, .weekday, .hour, .minute], from: Date(timeIntervalSince1970: Double(time) / 1000))
        guard let year = parts.year, let month = parts.month, let day = parts.day, let weekday = parts.weekday,
            let hour = parts.hour, let minute = parts.minute
        else { return false }
        let date = String(format: "%04d-%02d-%02d", year, month, day)
        let dayMatches: Bool
        if weekdays.isEmpty && dates.isEmpty {
            dayMatches = true
        } else {
            dayMatches = weekdays.contains(weekday) || dates.contains(date)
        }
        guard dayMatches else { return false }
        let now = hour * 60 + minute
        return times.isEmpty || times.contains { $0.contains(now) }
    }
}

import Foundation
public import IOCCore

/// `ioc report`: the Decision 766 ranking and the availability of each province for a calendar
/// period, from what the store holds, for leadership. The same store and period always give the
/// same text: nothing in it depends on when or where the report is made, except that a period not
/// over yet is reported up to `now` and says so.
///
/// The scorecard of a month is the last `ioc766:total_points{period="current"}` recorded in it
/// (the feeds give the month so far, so the last value is the month's); the score of a quarter or a
/// year is the mean of its months' scores, and its band that of its last month with a score. The
/// change is against the previous period of the same kind. Availability is the share of
/// `probe_success` samples that were 1, over every probe of the province (24×7), and over those
/// taken while the daemon's `ioc_service_hours` was 1 (service hours).
public struct PeriodReport: Sendable {
    public struct Unit: Sendable {
        /// What identifies the unit: its labels without the metric name, period, job and instance.
        public var key: Labels
        public var name: String
        public var code: String
        public var rank: Int?
        public var total: Double?
        public var groups: [String: Double]
        public var band: String?
        public var change: Double?
        public var availability: Double?
        public var serviceHoursAvailability: Double?
        public var probes: Int
    }

    public var period: CalendarPeriod
    /// The end of what is covered: the period's end, or `now` if that is earlier.
    public var through: Int64
    public var groups: [(name: String, max: Double?)]
    public var units: [Unit]
    public var hasServiceHours: Bool

    static let groupOrder = ["publicity", "progress", "digitisation", "online_services", "satisfaction"]
    static let ignoredLabels: Set<String> = [
        Labels.metricName, "period", "job", "instance", "group", "band", "band_vi",
    ]

    /// The units of a report as they are read, by key.
    struct UnitTable {
        var units: [Labels: Unit] = [:]

        /// The key of the unit `labels` belong to, adding the unit the first time.
        mutating func key(_ labels: Labels) -> Labels {
            let key = Labels(
                labels.pairs.filter { !PeriodReport.ignoredLabels.contains($0.name) }.map { ($0.name, $0.value) })
            if units[key] == nil {
                let name = [key["agency"], key["province"]].compactMap { $0 }.joined(separator: ", ")
                units[key] = Unit(
                    key: key, name: name.isEmpty ? key.description : name, code: key["province_code"] ?? "",
                    groups: [:], probes: 0)
            }
            return key
        }
    }

    /// Reads the period's figures from `source` (the store).
    public init(period: CalendarPeriod, source: any SeriesSource, now: Int64) throws {
        self.period = period
        through = min(period.end, now)
        let months = Self.months(of: period, through: through)
        var table = UnitTable()
        let groupNames = try Self.readScores(
            into: &table, months: months,
            previous: Self.months(of: period.previous, through: min(period.previous.end, now)), source: source)
        if let last = months.last { try Self.readBands(into: &table, month: last, source: source) }
        let maximum = try Self.groupMaxima(from: period.start, through: through, source: source)
        groups = groupNames.sorted {
            (Self.groupOrder.firstIndex(of: $0) ?? Int.max, $0) < (Self.groupOrder.firstIndex(of: $1) ?? Int.max, $1)
        }
        .map { ($0, maximum[$0]) }
        hasServiceHours = try Self.readAvailability(into: &table, from: period.start, through: through, source: source)
        units = Self.ranked(Array(table.units.values))
    }

    /// Each unit's total (each month's last, then their mean), its change against `previous`, and
    /// its group points; returns the groups seen.
    private static func readScores(
        into table: inout UnitTable, months: [CalendarPeriod], previous: [CalendarPeriod], source: any SeriesSource
    ) throws -> Set<String> {
        for (labels, values) in try monthlyLast("ioc766:total_points", months: months, source: source) {
            table.units[table.key(labels)]?.total = values.reduce(0, +) / Double(values.count)
        }
        for (labels, values) in try monthlyLast("ioc766:total_points", months: previous, source: source) {
            let key = table.key(labels)
            if let total = table.units[key]?.total {
                table.units[key]?.change = total - values.reduce(0, +) / Double(values.count)
            }
        }
        var groupNames: Set<String> = []
        for (labels, values) in try monthlyLast("ioc766:group_points", months: months, source: source) {
            guard let group = labels["group"] else { continue }
            groupNames.insert(group)
            table.units[table.key(labels)]?.groups[group] = values.reduce(0, +) / Double(values.count)
        }
        return groupNames
    }

    /// Each unit's band: the latest of the period's last month.
    private static func readBands(into table: inout UnitTable, month: CalendarPeriod, source: any SeriesSource) throws {
        let bands = try source.select(
            [
                try LabelMatcher(Labels.metricName, .equal, "ioc766:band"),
                try LabelMatcher("period", .equal, "current"),
            ],
            from: month.start, through: month.end - 1)
        var latest: [Labels: Int64] = [:]
        for series in bands {
            guard let sample = series.samples.last(where: { !$0.isStale && !$0.value.isNaN }) else { continue }
            let key = table.key(series.labels)
            if sample.timestamp >= latest[key, default: .min] {
                latest[key] = sample.timestamp
                table.units[key]?.band = series.labels["band"]
            }
        }
    }

    /// The most points each group can give, as last recorded in the period.
    private static func groupMaxima(from start: Int64, through: Int64, source: any SeriesSource) throws
        -> [String: Double]
    {
        let maxima = try source.select(
            [try LabelMatcher(Labels.metricName, .equal, "ioc766:group_max_points")], from: start, through: through - 1)
        var maximum: [String: Double] = [:]
        for series in maxima {
            if let group = series.labels["group"], let value = series.samples.last(where: { !$0.value.isNaN })?.value {
                maximum[group] = value
            }
        }
        return maximum
    }

    /// Availability: every probe_success sample of a province in the period, 24×7 and in service
    /// hours. Returns whether the store holds service hours at all.
    private static func readAvailability(
        into table: inout UnitTable, from start: Int64, through: Int64, source: any SeriesSource
    ) throws -> Bool {
        let openings = try source.select(
            [try LabelMatcher(Labels.metricName, .equal, "ioc_service_hours")], from: start - 300_000,
            through: through - 1
        )
        .flatMap(\.samples).filter { !$0.value.isNaN }.sorted { $0.timestamp < $1.timestamp }
        let probes = try source.select(
            [
                try LabelMatcher(Labels.metricName, .equal, "probe_success"),
                try LabelMatcher("province", .notEqual, ""),
            ],
            from: start, through: through - 1)
        var counts: [Labels: (up: Int, all: Int, upInHours: Int, inHours: Int)] = [:]
        for series in probes {
            let key = table.key(
                Labels(
                    series.labels.pairs.filter { $0.name == "province" || $0.name == "province_code" }.map {
                        ($0.name, $0.value)
                    }))
            var count = counts[key, default: (0, 0, 0, 0)]
            for sample in series.samples where !sample.value.isNaN {
                let up = sample.value == 1 ? 1 : 0
                count.all += 1
                count.up += up
                if isOpen(openings, at: sample.timestamp) {
                    count.inHours += 1
                    count.upInHours += up
                }
            }
            counts[key] = count
        }
        for (key, count) in counts where count.all > 0 {
            table.units[key]?.probes = count.all
            table.units[key]?.availability = Double(count.up) / Double(count.all)
            if count.inHours > 0 {
                table.units[key]?.serviceHoursAvailability = Double(count.upInHours) / Double(count.inHours)
            }
        }
        return !openings.isEmpty
    }

    /// Ranked by total, highest first; ties share a rank and are listed by code, then name.
    private static func ranked(_ units: [Unit]) -> [Unit] {
        let order = ProvinceCatalogue.current.map(\.code)
        var sorted = units.sorted { a, b in
            switch (a.total, b.total) {
            case let (x?, y?) where x != y: return x > y
            case (.some, nil): return true
            case (nil, .some): return false
            default:
                let codeA = order.firstIndex(of: a.code) ?? Int.max
                let codeB = order.firstIndex(of: b.code) ?? Int.max
                return (codeA, a.name, a.key) < (codeB, b.name, b.key)
            }
        }
        var rank = 0
        for index in sorted.indices where sorted[index].total != nil {
            let rounded = Self.rounded(sorted[index].total)
            if index == 0 || rounded != Self.rounded(sorted[index - 1].total) { rank = index + 1 }
            sorted[index].rank = rank
        }
        return sorted
    }

    /// The months of `period` that began before `through`.
    static func months(of period: CalendarPeriod, through: Int64) -> [CalendarPeriod] {
        var months: [CalendarPeriod] = []
        var month = CalendarPeriod.month(containing: period.start)
        while month.start < min(period.end, through) {
            months.append(month)
            month = CalendarPeriod.month(containing: month.end)
        }
        return months
    }

    /// Per series of `metric` (period="current"), its last value in each month that has one.
    static func monthlyLast(_ metric: String, months: [CalendarPeriod], source: any SeriesSource) throws
        -> [Labels: [Double]]
    {
        var result: [Labels: [Double]] = [:]
        for month in months {
            let series = try source.select(
                [try LabelMatcher(Labels.metricName, .equal, metric), try LabelMatcher("period", .equal, "current")],
                from: month.start, through: month.end - 1)
            for item in series {
                if let last = item.samples.last(where: { !$0.value.isNaN }) {
                    result[item.labels, default: []].append(last.value)
                }
            }
        }
        return result
    }

    /// Whether the service-hours series said 1 at `time` (its latest sample at most 5 minutes old).
    static func isOpen(_ openings: [Sample], at time: Int64) -> Bool {
        let low = openings.partitioningIndex { $0.timestamp > time }
        guard low > 0 else { return false }
        let latest = openings[low - 1]
        return time - latest.timestamp <= 300_000 && latest.value == 1
    }
}

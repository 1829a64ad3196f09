/// What may enter the store from outside: a feed's samples (a window around now, Prometheus' names,
/// bounded labels) and, wider, anything at all (`storableTimestamps`).
///
/// Every byte of a feed is hostile until admitted: a timestamp of `Int64.max` must not reach the
/// store's hour arithmetic, a metric name with a newline must not reach a text exposition, and a
/// series with a thousand labels must not make a thousand postings.
public struct SampleAdmission: Sendable, Equatable {
    /// Why a sample was refused: the `reason` label of `ioc_samples_rejected_total`.
    public enum Reason: String, Sendable, CaseIterable, Comparable {
        case outOfBounds = "out_of_bounds"
        case invalidMetricName = "invalid_metric_name"
        case invalidLabelName = "invalid_label_name"
        case labelValueTooLong = "label_value_too_long"
        case tooManyLabels = "too_many_labels"

        public static func < (lhs: Reason, rhs: Reason) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// The timestamps the store can hold at all: the years 1 to 9999 (UTC), far from where hour and
    /// day arithmetic on Int64 milliseconds could overflow.
    public static let storableTimestamps: ClosedRange<Int64> = -62_135_596_800_000...253_402_300_799_999

    /// How far before now a feed's timestamp may be (Prometheus refuses samples older than its head).
    public var past: Int64
    /// How far after now a feed's timestamp may be (a feed whose clock runs ahead).
    public var future: Int64
    /// Labels per series, the metric name included (Mimir's default is 30).
    public var maxLabels: Int
    /// Bytes of one label value (Mimir's default is 2,048).
    public var maxLabelValueBytes: Int
    /// Bytes of one label or metric name.
    public var maxNameBytes: Int

    public init(
        past: Int64 = 3_600_000, future: Int64 = 600_000, maxLabels: Int = 30, maxLabelValueBytes: Int = 2048,
        maxNameBytes: Int = 1024
    ) {
        self.past = past
        self.future = future
        self.maxLabels = maxLabels
        self.maxLabelValueBytes = maxLabelValueBytes
        self.maxNameBytes = maxNameBytes
    }

    /// Why `sample` may not enter at `now`, or nil when it may.
    public func check(_ sample: LabeledSample, now: Int64) -> Reason? {
        let (earliest, _) = now.subtractingReportingOverflow(past)
        let (latest, _) = now.addingReportingOverflow(future)
        let time = sample.sample.timestamp
        guard time >= earliest, time <= latest, SampleAdmission.storableTimestamps.contains(time) else {
            return .outOfBounds
        }
        return check(sample.labels)
    }

    /// Why a series with `labels` may not enter, or nil when it may.
    public func check(_ labels: Labels) -> Reason? {
        guard labels.pairs.count <= maxLabels else { return .tooManyLabels }
        for pair in labels.pairs {
            if pair.name == Labels.metricName {
                guard pair.value.utf8.count <= maxNameBytes, SampleAdmission.isValidMetricName(pair.value) else {
                    return .invalidMetricName
                }
                continue
            }
            guard pair.name.utf8.count <= maxNameBytes, SampleAdmission.isValidLabelName(pair.name) else {
                return .invalidLabelName
            }
            // Values may hold any UTF-8, as in Prometheus: every output escapes or strips what a
            // value could do (exposition escaping, terminal sanitising, report cells).
            guard pair.value.utf8.count <= maxLabelValueBytes else { return .labelValueTooLong }
        }
        return nil
    }

    /// Splits `samples` into those admitted at `now` and a count of the others by reason. A scrape
    /// has one sample per series, so each sample's labels are checked once, after its time.
    public func filter(_ samples: [LabeledSample], now: Int64) -> (admitted: [LabeledSample], rejected: [Reason: Int]) {
        var rejected: [Reason: Int] = [:]
        let admitted = samples.filter { sample in
            guard let reason = check(sample, now: now) else { return true }
            rejected[reason, default: 0] += 1
            return false
        }
        return (admitted, rejected)
    }

    /// Prometheus 3 takes any non-empty UTF-8 metric name (quoted on output when it is not of the
    /// classic form); IOC refuses control characters in names as well, which no exposition needs.
    public static func isValidMetricName(_ name: String) -> Bool {
        !name.isEmpty && !ControlCharacters.contained(in: name)
    }

    /// As for metric names, and names starting with `__` are Prometheus' own (a feed may not set them).
    public static func isValidLabelName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix("__") && !ControlCharacters.contained(in: name)
    }
}

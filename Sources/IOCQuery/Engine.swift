public import IOCCore
import Synchronization

/// Lets whoever started a query stop it: the API when its client goes away or the daemon stops.
/// The evaluation looks at it between steps and ends with a `canceled` error.
public final class QueryCancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public func cancel() { flag.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
}

/// One element of an instant vector.
public struct VectorElement: Sendable, Equatable {
    public var labels: Labels
    public var value: Double
    /// The time of the sample it came from (`timestamp()` returns it), ms.
    public var timestamp: Int64

    public init(labels: Labels, value: Double, timestamp: Int64) {
        self.labels = labels
        self.value = value
        self.timestamp = timestamp
    }

    public static func == (lhs: VectorElement, rhs: VectorElement) -> Bool {
        lhs.labels == rhs.labels && lhs.value.bitPattern == rhs.value.bitPattern
    }
}

/// One series of a range vector: a window onto the samples the engine loaded, not a copy.
public struct RangeSeries: Sendable {
    public var labels: Labels
    /// The labels without `__name__`, worked out once per series rather than once per step.
    var withoutName: Labels
    public var samples: ArraySlice<Sample>

    /// As a series of its own.
    public var series: Series { Series(labels: labels, samples: Array(samples)) }

    public init(labels: Labels, samples: ArraySlice<Sample>) {
        self.init(labels: labels, withoutName: nil, samples: samples)
    }

    init(labels: Labels, withoutName: Labels?, samples: ArraySlice<Sample>) {
        self.labels = labels
        self.withoutName = withoutName ?? labels.droppingMetricName()
        self.samples = samples
    }
}

/// What an expression evaluates to at one instant.
public enum QueryValue: Sendable {
    case scalar(Double)
    case string(String)
    case vector([VectorElement])
    case matrix([RangeSeries])
}

/// Evaluates PromQL with Prometheus' semantics (Prometheus 3 where versions differ: windows open on
/// the left). The data each selector needs over the whole query is loaded once, then every step is
/// evaluated in memory.
public struct Engine: Sendable {
    /// How far back an instant selector looks for a sample.
    public var lookback: Int64
    /// A query that would load more samples than this fails instead of exhausting memory.
    public var maxSamples: Int
    /// The step of a subquery that does not give one.
    public var defaultSubqueryStep: Int64
    /// Whether range queries of the shapes that allow it are evaluated a series at a time (tests turn
    /// it off to compare both paths).
    public var fastPath = true
    /// Whether the sides of a binary operator lend each other matchers before loading
    /// (`Evaluation.lendMatchers(of:to:)`; tests turn it off to compare).
    public var lendsMatchers = true
    /// Whether a selection the query makes twice is read once (`Evaluation.Selection`; tests turn it
    /// off to compare).
    public var sharesSelections = true
    /// How long one query may run before it ends with a `timeout` error (Prometheus: 2 minutes).
    public var timeout: Duration

    public init(
        lookback: Int64 = 300_000, maxSamples: Int = 50_000_000, defaultSubqueryStep: Int64 = 60_000,
        timeout: Duration = .seconds(120)
    ) {
        self.lookback = lookback
        self.maxSamples = maxSamples
        self.defaultSubqueryStep = defaultSubqueryStep
        self.timeout = timeout
    }

    /// The value of `query` at `time` (ms since the epoch).
    public func instant(
        _ query: Query, at time: Int64, source: any SeriesSource, cancellation: QueryCancellation? = nil
    ) throws -> QueryValue {
        let evaluation = try Evaluation(
            engine: self, query: query, from: time, through: time, source: source, cancellation: cancellation)
        let value = try evaluation.evaluate(query.expression, at: time)
        evaluation.releaseDataLater()
        if case .vector(let elements) = value, !Evaluation.keepsOrder(query.expression) {
            return .vector(elements.sorted { $0.labels < $1.labels })
        }
        return value
    }

    /// The value of `query` at every step from `start` through `end`: series of the points where they
    /// have a value (scalars become a series without labels), sorted by labels.
    public func range(
        _ query: Query, start: Int64, end: Int64, step: Int64, source: any SeriesSource,
        cancellation: QueryCancellation? = nil
    ) throws -> [Series] {
        let type = query.expression.type
        guard type == .scalar || type == .vector else {
            throw QueryError(
                query: query.text, position: nil,
                "invalid expression type \"\(type.rawValue)\" for range query, must be Scalar or instant Vector")
        }
        guard step > 0 else {
            throw QueryError(
                query: query.text, position: nil, "zero or negative query resolution step widths are not accepted")
        }
        guard end >= start else {
            throw QueryError(query: query.text, position: nil, "end timestamp must not be before start time")
        }
        let (span, overflow) = end.subtractingReportingOverflow(start)
        // As Prometheus: at most 11,000 steps after the first (11,001 points).
        guard !overflow, span / step <= 11_000 else {
            throw QueryError(
                query: query.text, position: nil,
                "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"
            )
        }
        do {
            return try evaluateRange(
                query, start: start, end: end, step: step, source: source, cancellation: cancellation)
        } catch var error as QueryError where error.kind == .badData {
            // The request was good; evaluating it failed (many-to-many matching, duplicate series,
            // a k that is not an integer): Prometheus' "execution" error, as for an instant query.
            error.kind = .execution
            throw error
        }
    }

    private func evaluateRange(
        _ query: Query, start: Int64, end: Int64, step: Int64, source: any SeriesSource,
        cancellation: QueryCancellation?
    ) throws -> [Series] {
        let evaluation = try Evaluation(
            engine: self, query: query, from: start, through: end, source: source, cancellation: cancellation)
        let steps = Array(stride(from: start, through: end, by: Int(step)))
        defer { evaluation.releaseDataLater() }
        if fastPath, evaluation.fitsFastPath(steps: steps.count),
            let fast = try evaluation.fastRange(query.expression, steps: steps)
        {
            return fast.map { item in
                Series(
                    labels: item.labels,
                    samples: zip(steps, item.values).compactMap { time, value in
                        value.map { Sample(timestamp: time, value: $0) }
                    })
            }
            .sorted { $0.labels < $1.labels }
        }
        // Series by the fingerprint of their labels: hashing Labels would normalise every string.
        var positions: [Fingerprint: Int] = [:]
        var series: [Series] = []
        func add(_ labels: Labels, _ sample: Sample) {
            let key = labels.fingerprint
            if let position = positions[key] {
                series[position].samples.append(sample)
            } else {
                positions[key] = series.count
                series.append(Series(labels: labels, samples: [sample]))
            }
        }
        for time in steps {
            try evaluation.checkBudget()
            switch try evaluation.evaluate(query.expression, at: time) {
            case .scalar(let value): add(Labels(), Sample(timestamp: time, value: value))
            case .vector(let elements):
                for element in elements { add(element.labels, Sample(timestamp: time, value: element.value)) }
            default: break
            }
        }
        return series.sorted { $0.labels < $1.labels }
    }
}

/// One query's evaluation: the data loaded for its selectors, and the evaluator.
final class Evaluation {
    let engine: Engine
    let query: Query
    /// A series loaded for a selector: all its samples (for instant selectors, which must see
    /// staleness markers) and those that are not markers (for ranges, which leave them out).
    struct Loaded {
        var labels: Labels
        /// The labels without `__name__`: for the series of range selectors only (the others'
        /// hold their labels, and no code reads them).
        var withoutName: Labels
        var all: [Sample]
        var ranged: [Sample]
    }

    /// Per selector index, its series over the window the query needs, samples in time order.
    private(set) var data: [[Loaded]]

    /// Hands the loaded series, if there are enough, to `DeferredRelease` once the answer is made.
    func releaseDataLater() {
        guard data.reduce(0, { $0 + $1.count }) >= DeferredRelease.worthwhile else { return }
        DeferredRelease.later(&data, leaving: [])
    }

    /// The most steps of a subquery evaluated on the fast path (see `subquery`).
    static let fastSubquerySteps: Int64 = 1 << 20

    /// When the query must have ended, and who may cancel it.
    private let deadline: ContinuousClock.Instant
    /// The query's first and last times, which `@ start()` and `@ end()` name.
    let start: Int64
    let end: Int64
    /// Whether the query has an `@` anywhere: without one, only literals are the same at every step
    /// and the range path need not ask each node.
    private(set) var pinsTimes = false
    private let cancellation: QueryCancellation?
    /// The samples the selectors loaded, which count against `maxSamples` with what a subquery holds.
    private var points = 0
    private var sinceCheck = 0

    init(
        engine: Engine, query: Query, from start: Int64, through end: Int64, source: any SeriesSource,
        cancellation: QueryCancellation? = nil
    ) throws {
        self.engine = engine
        self.query = query
        self.cancellation = cancellation
        self.start = start
        self.end = end
        deadline = ContinuousClock.now.advanced(by: engine.timeout)
        var windows = [(Int64, Int64)?](repeating: nil, count: query.selectorCount)
        var selectors = [VectorSelector?](repeating: nil, count: query.selectorCount)
        Evaluation.collect(
            query.expression, from: start, through: end, engine: engine, query: (start, end), windows: &windows,
            selectors: &selectors)
        data = Array(repeating: [], count: query.selectorCount)
        // The labels without the name are needed by range functions only: worked out for the
        // series of range selectors, not for every series of every query.
        var ranges = Set<Int>()
        var filters: [Int: SideFilter] = [:]
        var pending = [query.expression]
        while let expression = pending.popLast() {
            if case .matrix(let selector, _) = expression { ranges.insert(selector.index) }
            if case .pinned = expression { pinsTimes = true }
            if let filter = SideFilter(expression) { filters[filter.filtered] = filter }
            if engine.lendsMatchers { Evaluation.lendMatchers(of: expression, to: &selectors) }
            pending += expression.children
        }
        var loaded = 0
        var made: [Selection: (index: Int, samples: Int)] = [:]
        for index in 0..<query.selectorCount {
            guard let selector = selectors[index], let window = windows[index] else { continue }
            let filter = filters[index].flatMap { $0.by < index ? $0 : nil }
            // A selection made twice (`sum(x) / count(x)`) is read once: the same matchers over the
            // same window, read the same way, load the same series.
            let selection = Selection(matchers: selector.matchers, window: window, ranged: ranges.contains(index))
            if filter == nil, engine.sharesSelections, let earlier = made[selection] {
                data[index] = data[earlier.index]
                loaded += earlier.samples
                points = loaded
                try checkBudget(now: true)
                continue
            }
            let series: [Series]
            do {
                let limit = engine.maxSamples - loaded
                if let filter {
                    series = try source.select(
                        selector.matchers, from: window.0, through: window.1, limit: limit,
                        keeping: filter.keeping(data[filter.by].lazy.map(\.labels)))
                } else if !ranges.contains(index), window.1 - window.0 == engine.lookback {
                    // Read at one time only (a window of one lookback): the newest sample is enough.
                    series = try source.selectNewest(
                        selector.matchers, from: window.0, through: window.1, limit: limit)
                } else {
                    series = try source.select(selector.matchers, from: window.0, through: window.1, limit: limit)
                }
            } catch is SampleLimitExceeded {
                throw tooManySamples()
            }
            let samples = series.reduce(0) { $0 + $1.samples.count }
            if filter == nil { made[selection] = (index, samples) }
            loaded += samples
            points = loaded
            try checkBudget(now: true)
            data[index] = Evaluation.loaded(series, samples: samples, ranged: ranges.contains(index))
        }
    }

    /// `series` as loaded for a selector. Each series looked through for staleness markers, on
    /// every core when there are enough samples to look through: a rule's selection of a thousand
    /// series of a sample or two each is done sooner on one thread than handed to two.
    private static func loaded(_ series: [Series], samples: Int, ranged: Bool) -> [Loaded] {
        let perSeries = max(1, samples / max(1, series.count))
        return series.withUnsafeBufferPointer { series in
            ParallelWork.map(series.count, minimum: max(64, 16_384 / perSeries)) { position in
                let stale = series[position].holdsStaleMarkers ?? series[position].samples.holdsStaleMarker
                let labels = series[position].labels
                let samples = series[position].samples
                return Loaded(
                    labels: labels, withoutName: ranged ? labels.droppingMetricName() : labels, all: samples,
                    ranged: stale ? samples.filter { !$0.isStale } : samples)
            }
        }
    }

    func fail(_ message: String) -> QueryError { QueryError(query: query.text, position: nil, message) }

    /// Prometheus' error for a query over `--query.max-samples`.
    func tooManySamples(_ detail: String = "") -> QueryError {
        QueryError(
            query: query.text, position: nil,
            "query processing would load too many samples into memory in query execution "
                + "(\(detail)more than \(engine.maxSamples))", kind: .execution)
    }

    /// Checks that `held` points (samples loaded plus what a subquery holds at once) are within the
    /// engine's limit, as Prometheus' `--query.max-samples` does, and every thousand calls looks at
    /// the clock and the cancellation: a query ends with an error rather than running on after its
    /// client has gone or the daemon is stopping.
    func checkBudget(held: Int = 0, now: Bool = false) throws {
        if points + held > engine.maxSamples { throw tooManySamples() }
        sinceCheck += 1
        guard sinceCheck >= 1024 || now else { return }
        sinceCheck = 0
        if cancellation?.isCancelled == true {
            throw QueryError(query: query.text, position: nil, "query was canceled", kind: .canceled)
        }
        if ContinuousClock.now >= deadline {
            throw QueryError(
                query: query.text, position: nil, "query timed out in query execution (after \(engine.timeout))",
                kind: .timeout)
        }
    }

    // MARK: Evaluation

    func evaluate(_ expression: Expression, at time: Int64) throws -> QueryValue {
        switch expression {
        case .number(let value): return .scalar(value)
        case .string(let value): return .string(value)
        case .parenthesis(let inner): return try evaluate(inner, at: time)
        case .pinned(let inner, let pinned): return try evaluate(inner, at: resolve(pinned))
        case .negation(let inner):
            switch try evaluate(inner, at: time) {
            case .scalar(let value): return .scalar(-value)
            case .vector(let elements):
                let negated = elements.map {
                    VectorElement(labels: $0.labels.droppingMetricName(), value: -$0.value, timestamp: $0.timestamp)
                }
                try checkDistinct(negated, input: elements)
                return .vector(negated)
            default: throw fail("unary minus needs a scalar or an instant vector")
            }
        case .vector(let selector): return .vector(instantSamples(selector, at: time))
        case .matrix(let selector, let range): return .matrix(rangeSamples(selector, range: range, at: time))
        case .subquery(let inner, let range, let step, let offset):
            return .matrix(
                try subquery(inner, range: range, step: step ?? engine.defaultSubqueryStep, offset: offset, at: time))
        case .binary(let op, let left, let right, let matching):
            return try binary(op, try evaluate(left, at: time), try evaluate(right, at: time), matching, at: time)
        case .aggregation(let aggregation, let inner, let parameter, let grouping):
            guard case .vector(let elements) = try evaluate(inner, at: time) else {
                throw fail("aggregation needs an instant vector")
            }
            let argument = try parameter.map { try evaluate($0, at: time) }
            return .vector(try aggregate(aggregation, elements, parameter: argument, grouping, at: time))
        case .call(let function, let arguments):
            return try call(function, arguments, at: time)
        }
    }

    /// Each series' latest sample in (t − offset − lookback, t − offset], unless it is a staleness marker.
    func instantSamples(_ selector: VectorSelector, at time: Int64) -> [VectorElement] {
        let reference = time - selector.offset
        let earliest = reference - engine.lookback
        var result: [VectorElement] = []
        result.reserveCapacity(data[selector.index].count)
        for series in data[selector.index] {
            let samples = series.all
            let end = Evaluation.upperBound(samples, reference)
            guard end > 0 else { continue }
            let sample = samples[end - 1]
            guard sample.timestamp > earliest, !sample.isStale else { continue }
            result.append(VectorElement(labels: series.labels, value: sample.value, timestamp: sample.timestamp))
        }
        return result
    }

    /// Each series' samples in (t − offset − range, t − offset], staleness markers left out; series
    /// without any are left out.
    func rangeSamples(_ selector: VectorSelector, range: Int64, at time: Int64) -> [RangeSeries] {
        let reference = time - selector.offset
        var result: [RangeSeries] = []
        for series in data[selector.index] {
            let samples = series.ranged
            let low = Evaluation.upperBound(samples, reference - range)
            let high = Evaluation.upperBound(samples, reference)
            guard low < high else { continue }
            result.append(
                RangeSeries(labels: series.labels, withoutName: series.withoutName, samples: samples[low..<high]))
        }
        return result
    }

    /// The index of the first sample after `time`.
    static func upperBound(_ samples: [Sample], _ time: Int64) -> Int {
        samples.partitioningIndex { $0.timestamp > time }
    }

    /// The first multiple of `step` after `start` (open) and how many there are through `end`:
    /// the points a subquery evaluates its inner expression at.
    static func subqueryPoints(after start: Int64, through end: Int64, step: Int64) -> (first: Int64, count: Int64) {
        // Floor division, also for times before the epoch.
        var first = (start >= 0 ? start / step : (start + 1) / step - 1) * step
        if first <= start { first += step }
        return (first, first <= end ? (end - first) / step + 1 : 0)
    }

    /// The inner expression at every multiple of `step` in (t − offset − range, t − offset].
    private func subquery(_ inner: Expression, range: Int64, step: Int64, offset: Int64, at time: Int64) throws
        -> [RangeSeries]
    {
        let end = time - offset
        let (first, steps) = Evaluation.subqueryPoints(after: end - range, through: end, step: step)
        // Prometheus counts a subquery's points against the query's samples: a range of 100 days at
        // a millisecond step is an error at once, not eight billion evaluations.
        guard steps <= Int64(engine.maxSamples) else { throw tooManySamples("a subquery of \(steps) steps; ") }
        // The inner expression over all the subquery's steps at once, as a range query's.
        // A subquery of more steps than `fastSubquerySteps` goes step by step: the fast path builds
        // all its steps in single passes that cannot look at the clock, and a subquery of millions of
        // steps would run on past its timeout.
        if engine.fastPath, steps > 0, steps <= Evaluation.fastSubquerySteps, fitsFastPath(steps: Int(steps)),
            case let times = Array(stride(from: first, through: end, by: Int(step))),
            let value = try stepValues(inner, steps: times)
        {
            let series: [StepSeries]
            switch value {
            case .scalar(let values): series = [StepSeries(labels: Labels(), values: values)]
            case .vector(let vector): series = vector
            }
            try checkBudget(held: series.reduce(0) { $0 + $1.values.count { $0 != nil } }, now: true)
            return series.map { item in
                let samples = zip(times, item.values).compactMap { time, value in
                    value.map { Sample(timestamp: time, value: $0) }
                }
                return RangeSeries(labels: item.labels, samples: samples[...])
            }
        }
        var positions: [Fingerprint: Int] = [:]
        var labels: [Labels] = []
        var samples: [[Sample]] = []
        func add(_ item: Labels, _ sample: Sample) {
            let key = item.fingerprint
            if let position = positions[key] {
                samples[position].append(sample)
            } else {
                positions[key] = labels.count
                labels.append(item)
                // The first series gets room for every step at once: a long subquery of one series
                // then costs its points, not twice as much while an array doubles and copies.
                var points: [Sample] = []
                points.reserveCapacity(labels.count == 1 ? Int(steps) : 16)
                points.append(sample)
                samples.append(points)
            }
        }
        var held = 0
        for point in stride(from: first, through: end, by: Int(step)) {
            let value = try evaluate(inner, at: point)
            if case .vector(let elements) = value { held += elements.count } else { held += 1 }
            try checkBudget(held: held)
            switch value {
            case .vector(let elements):
                for element in elements { add(element.labels, Sample(timestamp: point, value: element.value)) }
            case .scalar(let value): add(Labels(), Sample(timestamp: point, value: value))
            default: throw fail("subquery needs an instant vector")
            }
        }
        return zip(labels, samples).map { RangeSeries(labels: $0, samples: ArraySlice($1)) }
    }
}

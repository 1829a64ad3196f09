public import IOCCore
public import IOCQuery

/// What the rules of a deployment know about where they run: Prometheus' external labels and URL.
public struct RuleContext: Sendable {
    public var externalLabels: [String: String]
    public var externalURL: String

    public init(externalLabels: [String: String] = [:], externalURL: String = "") {
        self.externalLabels = externalLabels
        self.externalURL = externalURL
    }
}

/// A rule that could not be evaluated, and why.
public struct RuleFailure: Sendable, Equatable, CustomStringConvertible {
    public var group: String
    public var rule: String
    public var message: String
    public var description: String { "group \(group), rule \(rule): \(message)" }
}

/// The outcome of evaluating a group once.
public struct GroupOutcome: Sendable {
    /// Recorded series, `ALERTS` and `ALERTS_FOR_STATE`, and staleness markers for series that ended.
    public var samples: [LabeledSample] = []
    public var transitions: [AlertTransition] = []
    /// For each transition, the index of its rule in the group.
    public var transitionRules: [Int] = []
    public var failures: [RuleFailure] = []
}

/// Evaluates one rule group as Prometheus does: the rules in order, each seeing what the rules
/// before it recorded in the same evaluation; recording rules give series named after them with the
/// rule's labels; alerting rules drive each alert's state (`for`, `keep_firing_for`) and give the
/// `ALERTS` and `ALERTS_FOR_STATE` series; a series a rule gave last time and not this time gets a
/// staleness marker. Not thread-safe: one evaluator per group, used from one thread.
public final class GroupEvaluator {
    public let group: RuleGroup
    public let engine: Engine
    public let context: RuleContext
    /// Per alerting rule (by index), its alerts.
    public private(set) var alertStates: [Int: AlertStateMachine] = [:]
    /// Per rule, the series it gave at the last evaluation, in the order it gave them.
    private var previous: [Int: Given] = [:]
    /// Per rule, the last error; nil when the last evaluation went well.
    public private(set) var lastErrors: [Int: String] = [:]
    /// Per rule, how long its last evaluation took (what Prometheus' `/api/v1/rules` calls
    /// `evaluationTime`).
    public private(set) var lastDurations: [Duration] = []

    public init(group: RuleGroup, engine: Engine = Engine(), context: RuleContext = RuleContext()) {
        self.group = group
        self.engine = engine
        self.context = context
        for (index, rule) in group.rules.enumerated() {
            if case .alerting(let holdFor, let keepFiringFor, _) = rule.kind {
                alertStates[index] = AlertStateMachine(holdFor: holdFor, keepFiringFor: keepFiringFor)
            }
        }
    }

    /// Each rule's key in the store (`RuleGroup.ruleKeys`).
    public var ruleKeys: [String] { group.ruleKeys }

    /// Puts back alerts saved before a restart, by rule key; those of rules that no longer exist are
    /// dropped.
    public func restore(_ saved: [String: [Alert]]) {
        for (index, (rule, key)) in zip(group.rules, ruleKeys).enumerated() {
            guard case .alerting(let holdFor, let keepFiringFor, _) = rule.kind, let alerts = saved[key] else {
                continue
            }
            alertStates[index] = AlertStateMachine(holdFor: holdFor, keepFiringFor: keepFiringFor, restoring: alerts)
        }
    }

    /// Evaluates every rule at `time` (ms) over `source`, or through `remote` when given: a
    /// Prometheus-compatible query API (a national VictoriaMetrics) that answers each rule's
    /// expression, as vmalert does. A remote rule does not see what earlier rules of its group
    /// recorded in this round (they reach the remote engine by remote write), as in vmalert.
    public func evaluate(
        at time: Int64, source: any SeriesSource,
        remote: (@Sendable (Query, Int64) throws -> QueryValue)? = nil
    ) -> GroupOutcome {
        var outcome = GroupOutcome()
        let recent = MemorySeriesSource()
        let layered = LayeredSource(base: source, top: recent)
        let queryTime = time - group.queryOffset.inMilliseconds
        lastDurations = Array(repeating: .zero, count: group.rules.count)
        for (index, rule) in group.rules.enumerated() {
            let started = ContinuousClock.now
            defer { lastDurations[index] = ContinuousClock.now - started }
            let produced: [LabeledSample]
            // Each produced series' fingerprint, hashed once for every use below.
            let keys: [Fingerprint]
            // A recording rule's result series, before its labels were applied.
            var inputs: [Labels] = []
            // What the rule gives now, when it is not what it gave last time in the same order (a
            // scorecard rule gives a thousand series, and hashing them again cost more than
            // evaluating it).
            var changed: Set<Fingerprint>?
            do {
                let value =
                    try remote?(rule.expression, queryTime)
                    ?? engine.instant(rule.expression, at: queryTime, source: layered)
                switch rule.kind {
                case .recording:
                    (produced, keys, inputs) = try record(rule, value, at: time, before: previous[index])
                case .alerting(_, _, let annotations):
                    let before = outcome.transitions.count
                    produced = try alert(index, rule, annotations, value, at: time, transitions: &outcome.transitions)
                    keys = produced.map(\.labels.fingerprint)
                    outcome.transitionRules += repeatElement(index, count: outcome.transitions.count - before)
                }
                // The same series as last time, which were distinct, are distinct.
                if previous[index]?.keys != keys {
                    var now = Set<Fingerprint>(minimumCapacity: keys.count)
                    for key in keys where !now.insert(key).inserted {
                        throw RuleError("vector contains metrics with the same labelset after applying rule labels")
                    }
                    changed = now
                }
                lastErrors[index] = nil
            } catch {
                lastErrors[index] = "\(error)"
                outcome.failures.append(RuleFailure(group: group.name, rule: rule.name, message: "\(error)"))
                continue
            }
            // Series the rule gave last time and not now end with a staleness marker.
            if let now = changed, let before = previous[index] {
                let ended = zip(before.keys, before.labels).filter { !now.contains($0.0) }.map(\.1)
                for labels in ended.sorted() {
                    outcome.samples.append(
                        LabeledSample(labels: labels, sample: Sample(timestamp: time, value: Sample.staleNaN)))
                }
            }
            previous[index] = Given(keys: keys, labels: produced.map(\.labels), inputs: inputs)
            outcome.samples += produced
            // Later rules of the group read this round's results from `recent`; remote rules read the
            // remote engine instead.
            if remote == nil { recent.add(produced, fingerprints: keys) }
        }
        return outcome
    }

    /// The series a recording rule gives: the result's, with the rule's labels and name. Where a
    /// result series has the labels it had at the last evaluation, in the same place (a rule over the
    /// same series, evaluated again), the series it gave then and its fingerprint are taken again
    /// rather than built and hashed anew: the rule's labels are the same for the evaluator's life.
    private func record(_ rule: Rule, _ value: QueryValue, at time: Int64, before: Given?) throws -> (
        [LabeledSample], [Fingerprint], [Labels]
    ) {
        let elements: [VectorElement]
        switch value {
        case .scalar(let number): elements = [VectorElement(labels: Labels(), value: number, timestamp: time)]
        case .vector(let vector): elements = vector
        default: throw RuleError("the expression gave neither an instant vector nor a scalar")
        }
        var result: [LabeledSample] = []
        var keys: [Fingerprint] = []
        var inputs: [Labels] = []
        result.reserveCapacity(elements.count)
        keys.reserveCapacity(elements.count)
        inputs.reserveCapacity(elements.count)
        // The result's labels, with the rule's labels (an empty one removes it) and its name.
        var changes = [(name: Labels.metricName, value: rule.name)]
        for (name, template) in rule.labels where name != Labels.metricName {
            changes.removeAll { $0.name == name }
            changes.append((name, template.source))
        }
        changes.sort { $0.name < $1.name }
        // Taken out of `before` once: reading them through the optional copied it at every series.
        // A recording rule's three lists line up (an alerting rule's have no inputs); taken only as
        // far as all three go, so that one that did not could never index past its end.
        let (givenInputs, givenLabels, givenKeys) = (before?.inputs ?? [], before?.labels ?? [], before?.keys ?? [])
        let given = min(givenInputs.count, givenLabels.count, givenKeys.count)
        for (position, element) in elements.enumerated() {
            let output: Labels
            let key: Fingerprint
            if position < given && givenInputs[position] == element.labels {
                (output, key) = (givenLabels[position], givenKeys[position])
            } else {
                output = element.labels.applying(changes)
                key = output.fingerprint
            }
            result.append(LabeledSample(labels: output, sample: Sample(timestamp: time, value: element.value)))
            keys.append(key)
            inputs.append(element.labels)
        }
        if group.limit > 0 && result.count > group.limit {
            throw RuleError("exceeded limit of \(group.limit) with \(result.count) series")
        }
        return (result, keys, inputs)
    }

    private func alert(
        _ index: Int, _ rule: Rule, _ annotations: [(String, AlertTemplate)], _ value: QueryValue, at time: Int64,
        transitions: inout [AlertTransition]
    ) throws -> [LabeledSample] {
        let elements: [(Labels, Double)]
        switch value {
        case .scalar(let number): elements = [(Labels(), number)]
        case .vector(let vector): elements = vector.map { ($0.labels, $0.value) }
        default: throw RuleError("the expression gave neither an instant vector nor a scalar")
        }
        var results: [(labels: Labels, annotations: Labels, value: Double)] = []
        var seen: Set<Labels> = []
        for (labels, number) in elements {
            let data = TemplateData(
                labels: Dictionary(labels.pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }),
                value: number, externalLabels: context.externalLabels, externalURL: context.externalURL)
            var pairs = labels.pairs.filter { $0.name != Labels.metricName }.map { ($0.name, $0.value) }
            for (name, template) in rule.labels {
                let expanded = expand(template, data)
                pairs.removeAll { $0.0 == name }
                if !expanded.isEmpty { pairs.append((name, expanded)) }
            }
            pairs.removeAll { $0.0 == "alertname" }
            pairs.append(("alertname", rule.name))
            let alertLabels = Labels(pairs)
            guard seen.insert(alertLabels).inserted else {
                throw RuleError("vector contains metrics with the same labelset after applying alert labels")
            }
            let notes = Labels(annotations.map { ($0.0, expand($0.1, data)) })
            results.append((alertLabels, notes, number))
        }
        var state = alertStates[index] ?? AlertStateMachine(holdFor: .zero)
        transitions += state.evaluate(results, at: time)
        let active = state.active
        if group.limit > 0 && active.count > group.limit {
            alertStates[index] = AlertStateMachine(
                holdFor: .milliseconds(state.holdFor), keepFiringFor: .milliseconds(state.keepFiringFor))
            throw RuleError("exceeded limit of \(group.limit) with \(active.count) alerts")
        }
        alertStates[index] = state
        var samples: [LabeledSample] = []
        for alert in active {
            let base = alert.labels.pairs.map { ($0.name, $0.value) }
            samples.append(
                LabeledSample(
                    labels: Labels(base + [(Labels.metricName, "ALERTS"), ("alertstate", alert.state.rawValue)]),
                    sample: Sample(timestamp: time, value: 1)))
            samples.append(
                LabeledSample(
                    labels: Labels(base + [(Labels.metricName, "ALERTS_FOR_STATE")]),
                    sample: Sample(timestamp: time, value: Double(alert.activeAt / 1000))))
        }
        return samples
    }

    /// A template's text for one alert; an error at this point (a function given a value it cannot
    /// take) is shown in the text, as Prometheus does, rather than losing the alert.
    private func expand(_ template: AlertTemplate, _ data: TemplateData) -> String {
        do {
            return try template.expand(data)
        } catch {
            return "<error expanding template: \(error)>"
        }
    }
}

/// The series a rule gave at an evaluation, in order, with their fingerprints; for a recording
/// rule also the result series they were made from (empty for alerting rules).
private struct Given {
    var keys: [Fingerprint]
    var labels: [Labels]
    var inputs: [Labels]
}

/// An error of one rule at one evaluation.
struct RuleError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The store with the series recorded earlier in the same evaluation on top, so that a rule sees
/// what the rules before it in its group recorded, before the writer has committed it.
struct LayeredSource: SeriesSource {
    let base: any SeriesSource
    let top: MemorySeriesSource

    func select(_ matchers: [LabelMatcher], from start: Int64, through end: Int64) throws -> [Series] {
        let lower = try base.select(matchers, from: start, through: end)
        let upper = try top.select(matchers, from: start, through: end)
        guard !upper.isEmpty else { return lower }
        guard !lower.isEmpty else { return upper }
        return LayeredSource.mergeSorted(lower, upper) ?? LayeredSource.mergeByFingerprint(lower, upper)
    }

    /// At one time, a series recorded at `end` hides the store's samples of it, which are older:
    /// those are not loaded (a scorecard rule reads a thousand series the rule before it recorded,
    /// and loading and merging the store's copy of each was a third of the group's time).
    func selectNewest(_ matchers: [LabelMatcher], from start: Int64, through end: Int64, limit: Int) throws
        -> [Series]
    {
        // In label order, as memory gives its series.
        let upper = try top.select(matchers, from: start, through: end)
        let hiding = upper.filter { $0.samples.last?.timestamp == end }
        guard !hiding.isEmpty else { return try select(matchers, from: start, through: end, limit: limit) }
        var cursor = hiding.startIndex
        let lower = try base.select(matchers, from: start, through: end, limit: limit) { labels in
            !LayeredSource.find(labels, in: hiding, from: &cursor)
        }
        let merged =
            lower.isEmpty
            ? upper : LayeredSource.mergeSorted(lower, upper) ?? LayeredSource.mergeByFingerprint(lower, upper)
        let loaded = merged.reduce(0) { $0 + $1.samples.count }
        guard loaded <= limit else { throw SampleLimitExceeded(loaded: loaded) }
        return merged
    }

    /// Whether `labels` is among `sorted`, looked for from `cursor` on: a source asked in label
    /// order moves the cursor forward a step or two per call; one asked out of order is looked up
    /// by bisection.
    static func find(_ labels: Labels, in sorted: [Series], from cursor: inout Int) -> Bool {
        if cursor > sorted.startIndex, Labels.order(sorted[cursor - 1].labels, labels) >= 0 {
            cursor = sorted[..<cursor].partitioningIndex { Labels.order($0.labels, labels) >= 0 }
        }
        // One comparison a step: the one that stops the walk tells whether it found `labels`.
        while cursor < sorted.endIndex {
            let order = Labels.order(sorted[cursor].labels, labels)
            if order > 0 { return false }
            cursor += 1
            if order == 0 { return true }
        }
        return false
    }

    /// Both sides in label order, as the store and memory give them: one pass comparing labels,
    /// which stops at the first pair that differs (neighbouring series share most of their
    /// strings), instead of hashing every series' labels. Nil if either side is out of order.
    static func mergeSorted(_ lower: [Series], _ upper: [Series]) -> [Series]? {
        var merged: [Series] = []
        merged.reserveCapacity(lower.count + upper.count)
        var (i, j) = (0, 0)
        while i < lower.count || j < upper.count {
            let order =
                i == lower.count ? 1 : j == upper.count ? -1 : Labels.order(lower[i].labels, upper[j].labels)
            var next: Series
            if order < 0 {
                next = lower[i]
                i += 1
            } else if order > 0 {
                next = upper[j]
                j += 1
            } else {
                next = lower[i]
                merge(upper[j].samples, into: &next.samples)
                i += 1
                j += 1
            }
            if let last = merged.last, Labels.order(last.labels, next.labels) >= 0 { return nil }
            merged.append(next)
        }
        return merged
    }

    static func mergeByFingerprint(_ lower: [Series], _ upper: [Series]) -> [Series] {
        // Each recorded series onto the stored one with the same labels, found by fingerprint (a
        // scorecard rule merges a thousand series; hashing their labels cost most of its time).
        var positions: [Fingerprint: Int] = [:]
        positions.reserveCapacity(lower.count)
        for (position, series) in lower.enumerated() { positions[series.labels.fingerprint] = position }
        var merged = lower
        var added: [Series] = []
        for series in upper {
            let found = positions[series.labels.fingerprint].flatMap { merged[$0].labels == series.labels ? $0 : nil }
            guard let position = found ?? merged.firstIndex(where: { $0.labels == series.labels }) else {
                added.append(series)
                continue
            }
            LayeredSource.merge(series.samples, into: &merged[position].samples)
        }
        guard !added.isEmpty else { return merged }
        return (merged + added).sorted { $0.labels < $1.labels }
    }

    /// Recorded samples over stored ones: a recorded sample replaces a stored one at its time.
    static func merge(_ recorded: [Sample], into stored: inout [Sample]) {
        if let last = stored.last, let first = recorded.first, first.timestamp > last.timestamp,
            zip(recorded, recorded.dropFirst()).allSatisfy({ $0.timestamp < $1.timestamp })
        {
            stored += recorded
            return
        }
        let replaced = Set(recorded.map(\.timestamp))
        stored.removeAll { replaced.contains($0.timestamp) }
        stored = (stored + recorded).sorted { $0.timestamp < $1.timestamp }
    }
}

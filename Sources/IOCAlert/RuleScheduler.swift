import Foundation
public import IOCCore
public import IOCQuery
public import IOCStore
public import Logging
import Synchronization

/// Evaluates the rule groups on their intervals, on a thread of its own (the query engine reads
/// SQLite, which must not block Swift's cooperative pool). Recorded series and `ALERTS` go to the
/// store's writer; each alert's state and every change of it are written to the store, and read back
/// at start, so that a restart neither sends a firing alert again nor restarts a pending timer.
public final class RuleScheduler: Sendable {
    /// Counters for self-metrics and tests.
    public struct Statistics: Sendable, Equatable {
        public var evaluations = 0
        public var failures = 0
        /// Seconds spent evaluating, in all.
        public var seconds = 0.0
        /// Time of the last evaluation of any group (ms), for the watchdog.
        public var lastEvaluation: Int64 = 0
    }

    /// A group's last evaluation, as Prometheus' `/api/v1/rules` and its rule-group metrics give it.
    public struct GroupStatus: Sendable, Equatable {
        public var group: String
        public var file: String
        /// Time of the last evaluation (ms; 0 before the first) and how long it took.
        public var lastEvaluation: Int64 = 0
        public var duration: Duration = .zero
        /// Per rule, in the group's order: how long its last evaluation took, and its error if it
        /// failed.
        public var ruleDurations: [Duration] = []
        public var ruleErrors: [String?] = []
    }

    private let groups: [RuleGroup]
    private let defaultInterval: Duration
    private let writer: SampleWriter
    private let context: RuleContext
    private let logger: Logger
    private let clock: @Sendable () -> Int64
    private let thread = Mutex<BackgroundThread?>(nil)
    private let counters = Mutex(Statistics())
    private let statuses: Mutex<[GroupStatus]>
    /// Called after each group's evaluation with its rules' alerts by rule key, on the scheduler's
    /// thread: the notifier's way in.
    private let onAlerts: @Sendable ([String: [Alert]], Int64) -> Void
    /// The remote query API that answers the rules' expressions (iocd.yaml's `rule_source` with
    /// `engine: remote`), or nil.
    private let remote: (@Sendable (Query, Int64) throws -> QueryValue)?
    /// The samples the engine evaluates over, when not the store's (`rule_source` with `engine: ioc`).
    private let source: (any SeriesSource & Sendable)?
    /// Told the oldest time a group may still record samples at: its soonest slot, which stays
    /// until that evaluation is written.
    private let floors: SampleFloors?

    public init(
        groups: [RuleGroup], defaultInterval: Duration, writer: SampleWriter, context: RuleContext = RuleContext(),
        logger: Logger, clock: @escaping @Sendable () -> Int64 = WallClock.nowMilliseconds,
        source: (any SeriesSource & Sendable)? = nil, remote: (@Sendable (Query, Int64) throws -> QueryValue)? = nil,
        floors: SampleFloors? = nil,
        onAlerts: @escaping @Sendable ([String: [Alert]], Int64) -> Void = { _, _ in }
    ) {
        self.remote = remote
        self.source = source
        self.floors = floors
        self.groups = groups
        self.defaultInterval = defaultInterval
        self.writer = writer
        self.context = context
        self.logger = logger
        self.clock = clock
        self.onAlerts = onAlerts
        statuses = Mutex(
            groups.map { group in
                GroupStatus(
                    group: group.name, file: group.file, ruleDurations: group.rules.map { _ in .zero },
                    ruleErrors: group.rules.map { _ in nil })
            })
    }

    public var statistics: Statistics { counters.withLock { $0 } }

    /// Each group's last evaluation, in the configuration's order.
    public var groupStatuses: [GroupStatus] { statuses.withLock { $0 } }

    /// Starts the thread. Returns at once.
    public func start() {
        let started = BackgroundThread(name: "ioc-rules")
        thread.withLock { $0 = started }
        started.start { [self] thread in loop(thread) }
    }

    /// Stops after the evaluation in progress, if any; returns when the thread has ended.
    public func stop() async { await thread.withLock { $0 }?.stop() }

    /// `stop()` for synchronous callers on threads of their own.
    @available(*, noasync, message: "use 'await stop()'")
    public func shutdown() { thread.withLock { $0 }?.stopWaiting() }

    private func loop(_ thread: BackgroundThread) {
        let evaluators = groups.map { GroupEvaluator(group: $0, context: context) }
        let reader: StoreReader
        do {
            reader = try writer.makeReader()
            try restore(evaluators, from: reader)
        } catch {
            logger.error("rules are not evaluated: cannot read the store: \(error)")
            return
        }
        var persisted: [String: [Alert]] = [:]
        for evaluator in evaluators {
            for (index, key) in evaluator.ruleKeys.enumerated() {
                persisted[key] = evaluator.alertStates[index]?.all ?? []
            }
        }
        // Each group starts at a point of its interval given by its name, as Prometheus spreads them,
        // so that many groups do not all run at the same instant.
        let intervals = groups.map { ($0.interval ?? defaultInterval).inMilliseconds }
        var next = zip(groups, intervals).map { group, interval in
            let now = clock()
            let offset = Int64(StableHash.fnv1a(group.file + "/" + group.name) % UInt64(interval))
            let slot = now - now % interval + offset
            return slot <= now ? slot + interval : slot
        }
        let soonestSlot = Mutex(next.min())
        let floor = floors?.add { soonestSlot.withLock { $0 } }
        defer { if let floor { floors?.remove(floor) } }
        while !thread.isStopping {
            guard let soonest = next.indices.min(by: { next[$0] < next[$1] }) else { return }
            let wait = next[soonest] - clock()
            if wait > 0 {
                // At most a second: a clock that jumps (tests, NTP) is noticed soon.
                thread.pause(milliseconds: min(wait, 1_000))
                continue
            }
            let due = next[soonest]
            let started = ContinuousClock.now
            evaluate(evaluators[soonest], at: due, reader: reader, persisted: &persisted)
            let duration = ContinuousClock.now - started
            statuses.withLock { statuses in
                let evaluator = evaluators[soonest]
                statuses[soonest].lastEvaluation = due
                statuses[soonest].duration = duration
                statuses[soonest].ruleDurations = evaluator.lastDurations
                statuses[soonest].ruleErrors = evaluator.group.rules.indices.map { evaluator.lastErrors[$0] }
            }
            // A group that fell behind skips the slots it missed rather than running them in a burst.
            let interval = intervals[soonest]
            next[soonest] = due + interval * max(1, (clock() - due) / interval + 1)
            soonestSlot.withLock { $0 = next.min() }
        }
    }

    private func restore(_ evaluators: [GroupEvaluator], from reader: StoreReader) throws {
        var saved: [String: [Alert]] = [:]
        for stored in try reader.alerts() { saved[stored.rule, default: []].append(stored.alert) }
        for evaluator in evaluators { evaluator.restore(saved) }
        let restored = saved.values.reduce(0) { $0 + $1.filter { $0.state != .inactive }.count }
        if restored > 0 { logger.info("alerts restored from the store", metadata: ["alerts": "\(restored)"]) }
    }

    private func evaluate(
        _ evaluator: GroupEvaluator, at time: Int64, reader: StoreReader, persisted: inout [String: [Alert]]
    ) {
        let started = ContinuousClock.now
        let outcome = evaluator.evaluate(
            at: time, source: source.map { $0 as any SeriesSource } ?? reader, remote: remote)
        let elapsed = ContinuousClock.now - started
        writer.append(outcome.samples)
        for failure in outcome.failures {
            logger.warning(
                "rule evaluation failed",
                metadata: ["group": "\(failure.group)", "rule": "\(failure.rule)", "error": "\(failure.message)"])
        }
        // Each rule's alerts are written when anything but their values changed.
        let keys = evaluator.ruleKeys
        var changed: [String: [Alert]] = [:]
        for (index, state) in evaluator.alertStates {
            let now = state.all
            let before = persisted[keys[index]] ?? []
            let same =
                now.count == before.count
                && zip(now, before).allSatisfy { a, b in
                    var a = a
                    a.value = b.value
                    a.annotations = b.annotations
                    return a == b
                }
            guard !same else { continue }
            persisted[keys[index]] = now
            changed[keys[index]] = now
        }
        var history: [AlertHistoryEntry] = []
        for (transition, index) in zip(outcome.transitions, outcome.transitionRules) {
            let alert = transition.alert
            history.append(
                AlertHistoryEntry(
                    time: transition.time, kind: transition.kind.rawValue, rule: keys[index], labels: alert.labels,
                    annotations: alert.annotations, value: alert.value, activeAt: alert.activeAt))
            let metadata: Logger.Metadata = [
                "alert": "\(alert.labels)", "summary": "\(alert.annotations["summary"] ?? "")",
            ]
            switch transition.kind {
            case .firing: logger.warning("alert firing", metadata: metadata)
            case .resolved: logger.notice("alert resolved", metadata: metadata)
            case .pending, .cancelled: logger.debug("alert \(transition.kind.rawValue)", metadata: metadata)
            }
        }
        writer.record(alerts: changed, history: history)
        var current: [String: [Alert]] = [:]
        for (index, state) in evaluator.alertStates { current[keys[index]] = state.all }
        onAlerts(current, time)
        counters.withLock {
            $0.evaluations += 1
            $0.failures += outcome.failures.count
            $0.seconds += Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            $0.lastEvaluation = time
        }
    }
}

import IOCCore
import Synchronization

/// Runs probes on their schedule until cancelled, handing each result to `sink`.
/// A target whose previous probe is still running when it is due again (possible when the cap on
/// transfers in flight makes probes queue) skips that slot rather than running twice at once.
public struct ProbeScheduler: Sendable {
    /// Counters of the scheduler's own behaviour.
    public final class Statistics: Sendable {
        private struct Counts {
            var started = 0
            var skippedBusy = 0
        }
        private let counts = Mutex(Counts())

        public init() {}

        /// Probes started since the scheduler began.
        public var started: Int { counts.withLock { $0.started } }
        /// Slots skipped because the target's previous probe was still running.
        public var skippedBusy: Int { counts.withLock { $0.skippedBusy } }

        fileprivate func record(started: Int, skipped: Int) {
            counts.withLock {
                $0.started += started
                $0.skippedBusy += skipped
            }
        }
    }

    public let targets: [ProbeTarget]
    public let statistics: Statistics
    private let prober: Prober
    private let sink: @Sendable (_ target: ProbeTarget, _ result: ProbeResult, _ due: Int64) -> Void

    /// `sink` receives each result with the time (ms) the probe was due, from which lateness follows.
    public init(
        targets: [ProbeTarget], prober: Prober, statistics: Statistics = Statistics(),
        sink: @escaping @Sendable (_ target: ProbeTarget, _ result: ProbeResult, _ due: Int64) -> Void
    ) {
        self.targets = targets
        self.prober = prober
        self.statistics = statistics
        self.sink = sink
    }

    /// Probes until the task is cancelled, then waits for the probes in flight (each bounded by its timeout).
    public func run() async {
        var schedule = ProbeSchedule(targets: targets, now: WallClock.nowMilliseconds())
        let busy = BusyTargets()
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let due = schedule.takeDue(now: WallClock.nowMilliseconds())
                var started = 0
                for (index, dueTime) in due {
                    let free = busy.claim(index)
                    guard free else { continue }
                    started += 1
                    let target = targets[index]
                    group.addTask {
                        let result = await prober.probe(target)
                        busy.release(index)
                        sink(target, result, dueTime)
                    }
                }
                statistics.record(started: started, skipped: due.count - started)
                guard let next = schedule.nextDue else {
                    // No targets: idle until cancelled.
                    try? await Task.sleep(for: .seconds(3600))
                    continue
                }
                let wait = next - WallClock.nowMilliseconds()
                if wait > 0 { try? await Task.sleep(for: .milliseconds(wait)) }
            }
        }
    }
}

/// The targets whose probe is running, shared between the scheduling loop and the probe tasks.
private final class BusyTargets: Sendable {
    private let running = Mutex(Set<Int>())

    /// Marks `index` running; false if it already was.
    func claim(_ index: Int) -> Bool { running.withLock { $0.insert(index).inserted } }

    func release(_ index: Int) { running.withLock { _ = $0.remove(index) } }
}

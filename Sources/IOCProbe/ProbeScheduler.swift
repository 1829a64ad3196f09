public import IOCCore
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
    private let batchWindow: Int64
    private let sink: @Sendable (_ target: ProbeTarget, _ result: ProbeResult, _ due: Int64) -> Void
    /// Told, while the scheduler runs, the oldest due time a result may still come with: that of
    /// the oldest probe in flight, or the next due if none is older.
    private let floors: SampleFloors?

    /// Starting the probes due within 25 ms together costs at most 25 ms of lateness (the goal is a
    /// p99 under 50 ms) and, measured with `make bench`, about a third of the CPU per probe at 2,000
    /// targets, as transfers then share the transfer thread's wake-ups.
    public static let defaultBatchWindow: Duration = .milliseconds(25)

    /// `sink` receives each result with the time (ms) the probe was due, from which lateness follows.
    /// It is called on the HTTP client's transfer thread (or a worker queue): it must be quick.
    /// `batchWindow` is the shortest time between two wake-ups of the scheduler: probes due within it
    /// start together, which saves a timer and a thread wake-up per probe at the cost of that much lateness.
    public init(
        targets: [ProbeTarget], prober: Prober, statistics: Statistics = Statistics(),
        batchWindow: Duration = ProbeScheduler.defaultBatchWindow, floors: SampleFloors? = nil,
        sink: @escaping @Sendable (_ target: ProbeTarget, _ result: ProbeResult, _ due: Int64) -> Void
    ) {
        self.targets = targets
        self.prober = prober
        self.statistics = statistics
        self.batchWindow = max(0, batchWindow.inMilliseconds)
        self.sink = sink
        self.floors = floors
    }

    /// Probes until the task is cancelled, then waits for the probes in flight (each bounded by its timeout).
    /// The schedule is kept on a thread of its own (`ioc-probe-schedule`), not on Swift's cooperative
    /// pool: iocd keeps heavy work off the pool, but two busy tasks hold every thread of it on a
    /// two-core server, and a program that runs the scheduler beside synchronous work (the test suite
    /// did) had its probes seconds late.
    public func run() async {
        let schedule = ProbeSchedule(targets: targets, now: WallClock.nowMilliseconds())
        let busy = BusyTargets(nextDue: schedule.nextDue)
        let floor = floors?.add { busy.floor }
        defer { if let floor { floors?.remove(floor) } }
        let thread = BackgroundThread(name: "ioc-probe-schedule")
        thread.start { thread in keep(schedule, busy: busy, on: thread) }
        await withTaskCancellationHandler {
            await thread.finished()
        } onCancel: {
            thread.requestStop()
        }
        await busy.waitUntilIdle()
    }

    /// Starts the probes as they fall due until `thread` is asked to stop.
    private func keep(_ schedule: ProbeSchedule, busy: BusyTargets, on thread: BackgroundThread) {
        var schedule = schedule
        while !thread.isStopping {
            let now = WallClock.nowMilliseconds()
            let due = schedule.takeDue(now: now)
            var batch: [(target: ProbeTarget, completion: @Sendable (ProbeResult) -> Void)] = []
            batch.reserveCapacity(due.count)
            for (index, dueTime) in due where busy.claim(index, due: dueTime) {
                let target = targets[index]
                batch.append(
                    (
                        target,
                        { [sink] result in
                            sink(target, result, dueTime)
                            busy.release(index)
                        }
                    ))
            }
            busy.scheduled(next: schedule.nextDue)
            prober.start(batch)
            statistics.record(started: batch.count, skipped: due.count - batch.count)
            guard let next = schedule.nextDue else {
                // No targets: idle until stopped.
                thread.pause(milliseconds: 3_600_000)
                continue
            }
            let wait = max(next, now + batchWindow) - WallClock.nowMilliseconds()
            if wait > 0 { thread.pause(milliseconds: wait) }
        }
    }
}

/// The targets whose probe is running, with the times they were due, shared between the scheduling
/// loop and the probe completions.
private final class BusyTargets: Sendable {
    private struct State {
        var running: [Int: Int64] = [:]
        var nextDue: Int64?
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    init(nextDue: Int64?) { state = Mutex(State(nextDue: nextDue)) }

    /// Marks `index` running, due at `due`; false if it already was.
    func claim(_ index: Int, due: Int64) -> Bool {
        state.withLock { state in
            guard state.running[index] == nil else { return false }
            state.running[index] = due
            return true
        }
    }

    /// The schedule's next due time, after the due probes were claimed.
    func scheduled(next: Int64?) { state.withLock { $0.nextDue = next } }

    /// The oldest time a result may still be due at: a probe's in flight, or the next slot.
    var floor: Int64? {
        state.withLock { state in
            let oldest = state.running.values.min()
            guard let next = state.nextDue else { return oldest }
            return min(oldest ?? next, next)
        }
    }

    func release(_ index: Int) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.running[index] = nil
            guard state.running.isEmpty else { return [] }
            defer { state.idleWaiters.removeAll() }
            return state.idleWaiters
        }
        waiters.forEach { $0.resume() }
    }

    /// Returns once no probe is running.
    func waitUntilIdle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                if state.running.isEmpty { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }
}

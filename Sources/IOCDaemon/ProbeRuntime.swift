import IOCProbe
import Synchronization

/// The probe scheduler of the running configuration, replaced when a reload changes the targets.
final class ProbeRuntime: Sendable {
    private let make: @Sendable ([ProbeTarget]) -> ProbeScheduler
    private let current = Mutex<(scheduler: ProbeScheduler, task: Task<Void, Never>)?>(nil)
    private let probing = Mutex<[ProbeTarget]>([])

    /// The targets being probed now.
    var targets: [ProbeTarget] { probing.withLock { $0 } }

    init(make: @escaping @Sendable ([ProbeTarget]) -> ProbeScheduler) { self.make = make }

    /// Starts probing `targets`, after the probes of the previous set have ended.
    func replace(_ targets: [ProbeTarget]) async {
        let previous = current.withLock { $0 }
        previous?.task.cancel()
        await previous?.task.value
        let scheduler = make(targets)
        let task = Task { await scheduler.run() }
        current.withLock { $0 = (scheduler, task) }
        probing.withLock { $0 = targets }
    }

    func stop() async {
        let running = current.withLock { running in
            defer { running = nil }
            return running
        }
        running?.task.cancel()
        await running?.task.value
        probing.withLock { $0 = [] }
    }

    var skippedBusy: Int { current.withLock { $0?.scheduler.statistics.skippedBusy ?? 0 } }
}

import Foundation
import IOCCore
import IOCStore
import Synchronization

/// Sends `WATCHDOG=1` at half the interval systemd asks for, but only while the daemon makes
/// progress: probes end (when there are targets), the store writer commits or has nothing to
/// commit, and the rule evaluator has evaluated within the interval (when there are rules). A
/// daemon stuck in any of them is restarted by systemd.
final class Watchdog: Sendable {
    private let systemd: SystemdNotifier
    private let writer: SampleWriter
    private let probes: @Sendable () -> Int
    private let rules: @Sendable () -> Int64?
    private let hasTargets: Bool
    private let running = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)

    init(
        systemd: SystemdNotifier, writer: SampleWriter, probes: @escaping @Sendable () -> Int,
        rules: @escaping @Sendable () -> Int64?, hasTargets: Bool
    ) {
        self.systemd = systemd
        self.writer = writer
        self.probes = probes
        self.rules = rules
        self.hasTargets = hasTargets
    }

    func start() {
        guard let interval = systemd.watchdog else { return }
        running.store(true, ordering: .relaxed)
        let thread = Thread { [self] in
            var lastProbes = probes()
            var lastWritten = writer.statistics.written
            let half = interval.inMilliseconds / 2
            while running.load(ordering: .relaxed) {
                var waited: Int64 = 0
                while waited < half && running.load(ordering: .relaxed) {
                    Thread.sleep(forTimeInterval: 0.1)
                    waited += 100
                }
                guard running.load(ordering: .relaxed) else { break }
                let nowProbes = probes()
                let statistics = writer.statistics
                let probing = !hasTargets || nowProbes > lastProbes
                let writing = statistics.written > lastWritten || writer.lastError == nil
                let evaluating = rules().map { WallClock.nowMilliseconds() - $0 < interval.inMilliseconds * 2 } ?? true
                if probing && writing && evaluating { systemd.notify("WATCHDOG=1") }
                lastProbes = nowProbes
                lastWritten = statistics.written
            }
            stopped.signal()
        }
        thread.name = "ioc-watchdog"
        thread.start()
    }

    func stop() {
        guard running.exchange(false, ordering: .relaxed) else { return }
        stopped.wait()
    }
}

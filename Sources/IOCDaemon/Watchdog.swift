import IOCConfig
import IOCCore
import IOCStore

/// Sends `WATCHDOG=1` at half the interval systemd asks for, but only while the daemon makes
/// progress: probes end (when there are targets), the store writer commits or has nothing to
/// commit, and the rule evaluator has evaluated within the interval (when there are rules). A
/// daemon stuck in any of them is restarted by systemd. Without a watchdog interval it does nothing.
struct Watchdog: BackgroundWork {
    private let systemd: SystemdNotifier
    private let writer: SampleWriter
    private let probes: @Sendable () -> Int
    private let rules: @Sendable () -> Int64?
    private let hasTargets: Bool
    private let thread = BackgroundThread(name: "ioc-watchdog")

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

    func stop() async { await thread.stop() }

    func start() {
        thread.start { [self] thread in
            guard let interval = systemd.watchdog else { return }
            var lastProbes = probes()
            var lastWritten = writer.statistics.written
            while thread.pause(milliseconds: interval.inMilliseconds / 2) {
                let nowProbes = probes()
                let statistics = writer.statistics
                let probing = !hasTargets || nowProbes > lastProbes
                let writing = statistics.written > lastWritten || writer.lastError == nil
                let evaluating = rules().map { WallClock.nowMilliseconds() - $0 < interval.inMilliseconds * 2 } ?? true
                if probing && writing && evaluating { systemd.notify("WATCHDOG=1") }
                lastProbes = nowProbes
                lastWritten = statistics.written
            }
        }
    }
}

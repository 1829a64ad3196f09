import IOCCore

/// Runs probes on their schedule until cancelled, handing each result's samples to `sink`.
public struct ProbeScheduler: Sendable {
    public let targets: [ProbeTarget]
    private let prober: HTTPProber
    private let sink: @Sendable (ProbeTarget, ProbeResult) -> Void

    public init(
        targets: [ProbeTarget], prober: HTTPProber, sink: @escaping @Sendable (ProbeTarget, ProbeResult) -> Void
    ) {
        self.targets = targets
        self.prober = prober
        self.sink = sink
    }

    /// Probes until the task is cancelled, then waits for the probes in flight (each bounded by its timeout).
    public func run() async {
        var schedule = ProbeSchedule(targets: targets, now: WallClock.nowMilliseconds())
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                for (index, _) in schedule.takeDue(now: WallClock.nowMilliseconds()) {
                    let target = targets[index]
                    group.addTask {
                        let result = await prober.probe(target)
                        sink(target, result)
                    }
                }
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

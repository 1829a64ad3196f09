import Foundation
import IOCCore
import IOCHTTP
import IOCProbe
import IOCSimulator
import Synchronization
import TestSupport
import Testing

/// The probe schedule does not wait for Swift's cooperative pool: on a two-core server two busy tasks
/// hold every thread of it (iocd keeps its heavy work elsewhere; the test suite's tests do not).
@Suite struct ScheduleUnderLoadTests {
    /// Every thread of the pool is held for three seconds by synchronous work;
    /// the probes that fall due meanwhile start on time all the same.
    @Test func probesStartOnTimeWhileThePoolIsHeld() async throws {
        try await HeavyTests.one {
            let simulator = try await Simulator(world: .demo())
            let client = HTTPClient()
            let targets = (0..<5).map {
                ProbeTarget(
                    labels: Labels(["job": "t", "instance": "\($0)"]),
                    url: "\(simulator.baseURL)/test/status/204?\($0)",
                    interval: .milliseconds(200), timeout: .milliseconds(150),
                    location: SourceLocation(file: "t", line: 1, column: 1))
            }
            let probes = Mutex<[(due: Int64, lateness: Int64)]>([])
            let scheduler = ProbeScheduler(targets: targets, prober: Prober(client: client)) { _, result, due in
                probes.withLock { $0.append((due, result.timestamp - due)) }
            }
            let task = Task { await scheduler.run() }
            let running = await waitUntil(timeout: .seconds(20)) { probes.withLock { $0.count } >= 10 }
            #expect(running)

            // As many holders as the pool has threads; once all hold one, they hold it three seconds more.
            let gate = HoldGate(holders: ProcessInfo.processInfo.activeProcessorCount, for: 3_000)
            let holders = (0..<gate.holders).map { _ in Task.detached { gate.hold() } }
            for holder in holders { await holder.value }
            // Probes take a moment to come.
            _ = await waitUntil(timeout: .seconds(5)) {
                probes.withLock { $0.contains { $0.due > gate.window?.1 ?? .max } }
            }
            task.cancel()
            await task.value
            await client.shutdown()
            await simulator.stop()

            let (held, release) = try #require(gate.window, "the holders never held the whole pool at once")
            let meanwhile = probes.withLock { $0.filter { $0.due >= held + 50 && $0.due <= release - 50 } }
            let expected = targets.count * Int(gate.milliseconds - 100) / 200
            #expect(meanwhile.count * 2 >= expected, "\(meanwhile.count) probes due while held, of \(expected)")
            let lateness = meanwhile.map(\.lateness).sorted()
            // Waiting for the pool would have made each at least `release - due` late: up to 3 s.
            let median = lateness.isEmpty ? .max : lateness[lateness.count / 2]
            #expect((lateness.last ?? .max) < 500 && median < 100, "lateness (ms): \(lateness)")
        }
    }
}

/// Threads of the pool held together: each holder holds its thread until all do, then all hold
/// theirs `milliseconds` more, as synchronous work does.
private final class HoldGate: Sendable {
    let holders: Int
    let milliseconds: Int64
    private let state = Mutex<(arrived: Int, from: Int64?)>((0, nil))

    init(holders: Int, for milliseconds: Int64) {
        self.holders = holders
        self.milliseconds = milliseconds
    }

    /// When all held the pool (ms since the epoch), from and to; nil if they never did within 60 s.
    var window: (Int64, Int64)? { state.withLock { $0.from.map { ($0, $0 + milliseconds) } } }

    func hold() {
        let giveUp = WallClock.nowMilliseconds() + 60_000
        state.withLock { state in
            state.arrived += 1
            if state.arrived == holders { state.from = WallClock.nowMilliseconds() }
        }
        while WallClock.nowMilliseconds() < giveUp {
            if let (_, release) = window, WallClock.nowMilliseconds() >= release { return }
            usleep(2_000)
        }
    }
}

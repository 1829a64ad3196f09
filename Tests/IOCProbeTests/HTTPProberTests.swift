import IOCCore
import IOCHTTP
import IOCProbe
import IOCSimulator
import Synchronization
import TestSupport
import Testing

/// Probes over real libcurl against the simulator on loopback.
@Suite struct HTTPProberTests {
    func target(_ url: String, timeout: Duration = .seconds(2), interval: Duration = .seconds(5)) -> ProbeTarget {
        ProbeTarget(
            labels: Labels(["job": "test", "instance": url, "province": "Huế", "service": "dvc"]), url: url,
            interval: interval, timeout: timeout, location: SourceLocation(file: "t.yaml", line: 1, column: 1))
    }

    func value(_ name: String, in samples: [LabeledSample]) -> Double? {
        samples.first { $0.labels.metric == name }?.sample.value
    }

    @Test func aHealthyEndpointIsUp() async throws {
        let simulator = try await Simulator(world: .demo())
        let client = HTTPClient()
        let probeTarget = target("\(simulator.baseURL)/hue/dvc/health")
        let result = await HTTPProber(client: client).probe(probeTarget)
        let samples = result.samples(for: probeTarget)
        #expect(result.success)
        #expect(result.failureReason == nil)
        #expect(value("probe_success", in: samples) == 1)
        #expect(value("probe_http_status_code", in: samples) == 200)
        let duration = try #require(value("probe_duration_seconds", in: samples))
        #expect(duration > 0 && duration < 2)
        let labels = try #require(samples.first?.labels)
        #expect(labels["province"] == "Huế" && labels["service"] == "dvc" && labels["job"] == "test")
        #expect(labels["instance"] == probeTarget.url)
        client.shutdown()
        await simulator.stop()
    }

    @Test func aRefusedConnectionIsDownWithItsReason() async {
        let client = HTTPClient()
        let probeTarget = target("http://127.0.0.1:\(refusedPort())/health")
        let result = await HTTPProber(client: client).probe(probeTarget)
        #expect(!result.success)
        #expect(result.failureReason == "connect")
        #expect(value("probe_success", in: result.samples(for: probeTarget)) == 0)
        #expect(value("probe_http_status_code", in: result.samples(for: probeTarget)) == 0)
        client.shutdown()
    }

    @Test func anHTTP500IsDown() async throws {
        let simulator = try await Simulator(world: .demo())
        let client = HTTPClient()
        let probeTarget = target("\(simulator.baseURL)/can-tho/lgsp/health")
        let result = await HTTPProber(client: client).probe(probeTarget)
        #expect(!result.success)
        #expect(result.failureReason == "status")
        #expect(result.status == 500)
        #expect(value("probe_http_status_code", in: result.samples(for: probeTarget)) == 500)
        client.shutdown()
        await simulator.stop()
    }

    @Test func aTimeoutShorterThanTheEndpointsDelayIsDown() async throws {
        let simulator = try await Simulator(world: .demo())
        let client = HTTPClient()
        let probeTarget = target("\(simulator.baseURL)/test/delay/3000", timeout: .milliseconds(400))
        let result = await HTTPProber(client: client).probe(probeTarget)
        #expect(!result.success)
        #expect(result.failureReason == "timeout")
        #expect(result.durationSeconds >= 0.39)
        #expect(result.durationSeconds < 2.5)
        client.shutdown()
        await simulator.stop()
    }

    @Test func theSchedulerProbesEachTargetRepeatedly() async throws {
        let simulator = try await Simulator(world: .demo())
        let client = HTTPClient()
        let targets = ["hue/dvc", "ha-noi/lgsp", "can-tho/lgsp"].map {
            target("\(simulator.baseURL)/\($0)/health", timeout: .milliseconds(150), interval: .milliseconds(200))
        }
        let results = Mutex<[String: [Bool]]>([:])
        let scheduler = ProbeScheduler(targets: targets, prober: HTTPProber(client: client)) { target, result in
            results.withLock { $0[target.url, default: []].append(result.success) }
        }
        let task = Task { await scheduler.run() }
        let enough = await waitUntil(timeout: .seconds(10)) {
            results.withLock { all in targets.allSatisfy { (all[$0.url]?.count ?? 0) >= 3 } }
        }
        task.cancel()
        await task.value
        #expect(enough)
        let final = results.withLock { $0 }
        #expect(final["\(simulator.baseURL)/hue/dvc/health"]?.allSatisfy { $0 } == true)
        #expect(final["\(simulator.baseURL)/can-tho/lgsp/health"]?.allSatisfy { !$0 } == true)
        client.shutdown()
        await simulator.stop()
    }
}

import Foundation
import IOCAlert
import IOCCore
import IOCHTTP
@testable import IOCProbe
import IOCQuery
import IOCSimulator
import Synchronization
import TestSupport
import Testing

/// `make demo`'s world started afresh and run for 20 minutes of simulated time: the national
/// simulator (seed 1), its probe file, and the shipped rules. Each probe's answer is the simulator's
/// at that moment, judged by the prober's own verdict (status, JSON expectation, timeout) and turned
/// into series as iocd stores them; every rule group is evaluated on its interval over what was
/// stored, its recorded series written back. The alerts that fire must be exactly those the
/// scenario intends: its failing endpoint, its outages long enough to count, the slow endpoint
/// beyond the 2-s objective, the stalled exchange and the expiring credential. Nothing else: no
/// alert from a window the fresh series only partly cover, no "down" from a slow endpoint's jitter.
@Suite struct FreshStartAlertsTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// An alert as the scenario names it.
    struct Named: Hashable, CustomStringConvertible {
        var alert: String
        var subject: String
        var description: String { "\(alert) \(subject)" }
    }

    /// Started on a working-day morning in Huế (2026-12-03 09:00 UTC+7).
    @Test func onlyTheIntendedAlertsFireInTheFirstTwentyMinutes() async throws {
        // Half a minute of CPU: on a thread of its own, not one of the two the suite's async tests
        // share, and not beside the tests that measure timing.
        try await HeavyTests.one {
            try await BackgroundThread.run("fresh-start") { try Self.runTwentyMinutes() }
        }
    }

    static func runTwentyMinutes() throws {
        let start: Int64 = 1_796_263_200_000
        let end = start + 20 * 60_000
        let clock = Mutex(start)
        let world = SimulatedWorld(scenario: .national(seed: 1), seed: 1, clock: { clock.withLock { $0 } })
        let base = "http://127.0.0.1:17000"
        let targets = try ProbeFile.targets(
            from: try ConfigNode.parse(yaml: world.probeFile(baseURL: base), file: "simulator.yaml"))
        let groups = try RuleFile.load(
            ["availability.yaml", "data-sharing.yaml", "scorecard-766.yaml"].map { repository + "/rules/" + $0 })
        let evaluators = groups.map { GroupEvaluator(group: $0) }
        let ruleText = try groups.map(\.file).map { try String(contentsOfFile: $0, encoding: .utf8) }.joined()
        var readByRules: [String: Bool] = [:]
        func read(_ metric: String) -> Bool {
            if let known = readByRules[metric] { return known }
            let found = ruleText.contains(metric)
            readByRules[metric] = found
            return found
        }
        let source = MemorySeriesSource()

        var fired: Set<Named> = []
        var time = start
        while time <= end {
            clock.withLock { $0 = time }
            for target in targets where (time - start) % target.interval.inMilliseconds == 0 {
                let got = result(of: target, in: world, at: time, base: base).samples(for: target)
                // Series no rule reads cannot change an alert; leaving them out keeps the test quick.
                for sample in got where read(sample.labels.metric ?? "") {
                    source.add(sample.labels, [sample.sample])
                }
            }
            for evaluator in evaluators
            where (time - start) % (evaluator.group.interval ?? .seconds(15)).inMilliseconds == 0 {
                let outcome = evaluator.evaluate(at: time, source: source)
                #expect(outcome.failures.isEmpty, "\(outcome.failures)")
                for sample in outcome.samples { source.add(sample.labels, [sample.sample]) }
                for transition in outcome.transitions where transition.kind == .firing {
                    fired.insert(named(transition.alert.labels))
                }
            }
            time += 5_000
        }

        let (required, allowed) = intended(world, from: start, through: end)
        #expect(required.isSubset(of: fired), "missing: \(required.subtracting(fired).sorted { "\($0)" < "\($1)" })")
        #expect(fired.isSubset(of: allowed), "unintended: \(fired.subtracting(allowed).sorted { "\($0)" < "\($1)" })")
        // Whatever the start, at least five: the failing endpoint, the hanging one (3 minutes in every
        // 15), the slow one, the stalled exchange and the expiring credential.
        #expect(required.count >= 5)
    }

    static func named(_ labels: Labels) -> Named {
        let subject = [labels["province"], labels["service"] ?? labels["peer"]].compactMap { $0 }
        return Named(alert: labels["alertname"] ?? "", subject: subject.joined(separator: " / "))
    }

    /// What a probe of `target` gets from the simulator at `time`, through the prober's verdict.
    static func result(of target: ProbeTarget, in world: SimulatedWorld, at time: Int64, base: String)
        -> ProbeResult
    {
        let url: String
        switch target.kind {
        case .http(let http): url = http.url
        case .feed(let feed): url = feed.http.url
        case .tcp: preconditionFailure("the simulator's probe file has no TCP targets")
        }
        let answer = world.respond(to: String(url.dropFirst(base.count)))
        let timeout = target.timeout.inSeconds
        var timings = HTTPTimings()
        timings.total = min(timeout, Double(answer.delayMilliseconds) / 1000)
        timings.processing = timings.total
        let text = answer.text
        let failure: HTTPFailure? =
            text == nil || Double(answer.delayMilliseconds) / 1000 >= timeout
            ? HTTPFailure(kind: .timeout, message: "Operation timed out after \(Int(timeout * 1000)) milliseconds")
            : nil
        var response = HTTPResponse(
            status: failure == nil ? answer.status : nil, body: Array((text ?? "").utf8), timings: timings,
            redirects: 0, failure: failure)
        response.contentType = answer.contentType
        switch target.kind {
        case .feed(let feed):
            var result = Prober.scrapeResult(feed, response: response, started: time)
            result.durationSeconds = timings.total
            return result
        case .http(let http):
            return Prober.result(response, expectations: http.effectiveExpectations, started: time, elapsed: 0)
        case .tcp:
            preconditionFailure("the simulator's probe file has no TCP targets")
        }
    }

    /// The alerts the scenario must raise between `start` and `end`, and those it may: an outage
    /// covering `for` with a margin must fire, one shorter than `for` must not, one in between may.
    static func intended(_ world: SimulatedWorld, from start: Int64, through end: Int64) -> (
        required: Set<Named>, allowed: Set<Named>
    ) {
        let scenario = world.scenario
        func name(_ endpoint: String, _ alert: String) -> Named {
            let parts = endpoint.split(separator: "/").map(String.init)
            let province = scenario.provinces.first { $0.slug == parts[0] }?.name ?? parts[0]
            return Named(alert: alert, subject: "\(province) / \(parts[1])")
        }
        var required = Set(scenario.failing.map { name($0, "ServiceDown") })
        var allowed = required
        // ServiceSlow: 2 s on average over 5 minutes, for 5 minutes.
        for (endpoint, milliseconds) in scenario.slow where milliseconds * 9 / 10 > 2_000 {
            required.insert(name(endpoint, "ServiceSlow"))
        }
        for outage in scenario.outages {
            // The longest stretch of the outage inside the window, at 5-s probe resolution.
            var longest: Int64 = 0
            var run: Int64 = 0
            for time in stride(from: start, through: end, by: 5_000) {
                run = outage.isActive(at: time) ? run + 5_000 : 0
                longest = max(longest, run)
            }
            if longest >= 150_000 { required.insert(name(outage.endpoint, "ServiceDown")) }
            if longest >= 105_000 { allowed.insert(name(outage.endpoint, "ServiceDown")) }
        }
        // The exchanges: one stalled for hours, one credential within 14 days.
        let exchanges = SimulatedExchanges(seed: world.seed, provinces: scenario.provinces)
        let json = (try? JSONSerialization.jsonObject(with: Data(exchanges.json(at: start).utf8))) as? [String: Any]
        for connection in (json?["connections"] as? [[String: Any]]) ?? [] {
            guard let province = connection["province"] as? String, let peer = connection["peer"] as? String,
                let last = (connection["last_success_unix"] as? NSNumber)?.int64Value,
                let expiry = (connection["credential_expiry_unix"] as? NSNumber)?.int64Value
            else { continue }
            if start / 1000 - last > 1_800 {
                required.insert(Named(alert: "ExchangeStalled", subject: "\(province) / \(peer)"))
            }
            if expiry - start / 1000 < 14 * 86_400 {
                required.insert(Named(alert: "ExchangeCredentialExpiresSoon", subject: "\(province) / \(peer)"))
            }
        }
        return (required, allowed.union(required))
    }
}

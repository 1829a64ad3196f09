import Foundation
import IOCAlert
import IOCCore
@testable import IOCDaemon
import IOCQuery
import IOCStore
import Logging
import TestSupport
import Testing

/// Each group's and rule's last evaluation, as Prometheus' `/api/v1/rules` gives them: health,
/// the error of a rule that failed, when and how long.
@Suite struct RuleStatusTests {
    @Test func rulesSayWhenTheyRanHowLongAndWhetherTheyFailed() async throws {
        let directory = try TemporaryDirectory()
        let writer = try SampleWriter(path: directory.file("ioc.db"))
        let now = WallClock.nowMilliseconds()
        // Two series alike but for `b`: matching them ignoring `b` is many-to-many, an error.
        writer.append(
            ["x", "y"].map {
                LabeledSample(
                    labels: Labels([("__name__", "m"), ("a", "1"), ("b", $0)]), sample: Sample(timestamp: now, value: 1)
                )
            })
        await writer.flush()
        let node = try ConfigNode.parse(
            yaml: """
                groups:
                  - name: g
                    interval: 1s
                    rules:
                      - record: m:positive
                        expr: m > 0
                      - alert: Broken
                        expr: m + ignoring(b) m
                """, file: "rules.yaml")
        let groups = try RuleFile.groups(from: node, file: "rules.yaml")
        let scheduler = RuleScheduler(
            groups: groups, defaultInterval: .seconds(1), writer: writer, logger: Logger(label: "test"))
        let before = try #require(scheduler.groupStatuses.first)
        #expect(before.lastEvaluation == 0 && before.ruleDurations.count == 2)
        scheduler.start()
        let ran = await waitUntil(timeout: .seconds(10)) { (scheduler.groupStatuses.first?.lastEvaluation ?? 0) > 0 }
        await scheduler.stop()
        await writer.close()
        #expect(ran)
        let status = try #require(scheduler.groupStatuses.first)
        #expect(status.ruleErrors[0] == nil)
        #expect(status.ruleErrors[1]?.contains("many-to-many") == true, "\(status.ruleErrors)")
        #expect(status.duration > .zero && status.ruleDurations.allSatisfy { $0 > .zero })

        let api = PrometheusAPI(
            readers: ReaderPool { throw StoreError(path: "", "none") }, engine: Engine(), metrics: { "" },
            rules: { [(groups[0], status)] }, ready: { true }, credentials: [])
        let answer = api.handle(APIRequest(method: "GET", path: "/api/v1/rules", parameters: [], headers: []))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])
        let data = try #require(json["data"] as? [String: Any])
        let group = try #require((data["groups"] as? [[String: Any]])?.first)
        #expect(group["interval"] as? Double == 1)
        #expect((group["evaluationTime"] as? Double ?? 0) > 0)
        #expect((group["lastEvaluation"] as? String)?.hasPrefix("20") == true)
        let rules = try #require(group["rules"] as? [[String: Any]])
        #expect(rules.map { $0["health"] as? String } == ["ok", "err"])
        #expect((rules[1]["lastError"] as? String)?.contains("many-to-many") == true)
        #expect(rules.allSatisfy { ($0["evaluationTime"] as? Double ?? 0) > 0 })
        // Before the first evaluation, health is unknown.
        let fresh = PrometheusAPI(
            readers: ReaderPool { throw StoreError(path: "", "none") }, engine: Engine(), metrics: { "" },
            rules: { [(groups[0], nil)] }, ready: { true }, credentials: [])
        let unknown = fresh.handle(APIRequest(method: "GET", path: "/api/v1/rules", parameters: [], headers: []))
        #expect(unknown.body.contains(#""health":"unknown""#) && !unknown.body.contains(#""health":"ok""#))
    }
}

import IOCAlert
import IOCCore
import IOCQuery
import Testing

@Suite struct GroupEvaluatorTests {
    func group(_ yaml: String) throws -> RuleGroup {
        let groups = try RuleFile.groups(from: try ConfigNode.parse(yaml: yaml, file: "rules.yaml"), file: "rules.yaml")
        return try #require(groups.first)
    }

    func source(_ series: [(String, String, [Double])]) -> MemorySeriesSource {
        let source = MemorySeriesSource()
        for (name, instance, values) in series {
            source.add(
                Labels([("__name__", name), ("instance", instance)]),
                values.enumerated().map { Sample(timestamp: Int64($0.offset) * 15_000, value: $0.element) })
        }
        return source
    }

    /// Two recording rules, the second reading what the first recorded.
    func doublingAndSumming() throws -> RuleGroup {
        try group(
            """
            groups:
              - name: g
                rules:
                  - record: instance:up:double
                    expr: up * 2
                    labels: {team: ops}
                  - record: total
                    expr: sum(instance:up:double)
            """)
    }

    @Test func recordingRulesNameTheirSeriesAndLaterRulesSeeThem() throws {
        let evaluator = GroupEvaluator(group: try doublingAndSumming())
        let outcome = evaluator.evaluate(at: 15_000, source: source([("up", "a", [1, 1]), ("up", "b", [0, 1])]))
        #expect(outcome.failures.isEmpty)
        let byName = Dictionary(grouping: outcome.samples) { $0.labels.metric ?? "" }
        #expect(byName["instance:up:double"]?.map(\.labels["team"]) == ["ops", "ops"])
        #expect(byName["instance:up:double"]?.allSatisfy { $0.sample.value == 2 } == true)
        // The second rule read the first one's output of the same evaluation.
        #expect(byName["total"]?.first?.sample.value == 4)
    }

    @Test func alertsGiveALERTSAndForStateSeriesAndTransitions() throws {
        let evaluator = GroupEvaluator(
            group: try group(
                """
                groups:
                  - name: g
                    rules:
                      - alert: Down
                        expr: up == 0
                        for: 30s
                        labels: {severity: '{{ if eq $value 0.0 }}page{{ end }}'}
                        annotations: {summary: '{{ $labels.instance }} down'}
                """))
        let data = source([("up", "a", [0, 0, 0, 0, 1])])
        let first = evaluator.evaluate(at: 0, source: data)
        #expect(first.transitions.map(\.kind) == [.pending])
        let pending = first.samples.first { $0.labels.metric == "ALERTS" }
        #expect(
            pending?.labels
                == Labels([
                    ("__name__", "ALERTS"), ("alertname", "Down"), ("alertstate", "pending"), ("instance", "a"),
                    ("severity", "page"),
                ]))
        #expect(first.samples.first { $0.labels.metric == "ALERTS_FOR_STATE" }?.sample.value == 0)
        #expect(evaluator.evaluate(at: 15_000, source: data).transitions.isEmpty)
        let fired = evaluator.evaluate(at: 30_000, source: data)
        #expect(fired.transitions.map(\.kind) == [.firing])
        #expect(fired.transitions.first?.alert.annotations == Labels([("summary", "a down")]))
        // The pending series ends with a staleness marker when the alert fires.
        #expect(fired.samples.contains { $0.labels["alertstate"] == "pending" && $0.sample.isStale })
        #expect(fired.samples.contains { $0.labels["alertstate"] == "firing" && $0.sample.value == 1 })
        let resolved = evaluator.evaluate(at: 60_000, source: data)
        #expect(resolved.transitions.map(\.kind) == [.resolved])
        #expect(resolved.samples.filter { !$0.sample.isStale }.isEmpty)
    }

    @Test func labelSetsThatCollideAreAnErrorOfTheRuleNotOfTheGroup() throws {
        let evaluator = GroupEvaluator(
            group: try group(
                """
                groups:
                  - name: g
                    rules:
                      - record: same
                        expr: up
                        labels: {instance: one}
                      - record: fine
                        expr: vector(1)
                """))
        let outcome = evaluator.evaluate(at: 0, source: source([("up", "a", [1]), ("up", "b", [1])]))
        #expect(outcome.failures.map(\.rule) == ["same"])
        #expect(outcome.failures.first?.message.contains("same labelset") == true)
        #expect(outcome.samples.map(\.labels.metric) == ["fine"])
        #expect(evaluator.lastErrors[0] != nil && evaluator.lastErrors[1] == nil)
    }

    /// A recording rule takes again what it gave for a result series whose labels are those it had
    /// at the last evaluation in the same place; every other result is built anew: series that
    /// come, go, change places or change labels between evaluations still get their own labels.
    @Test func aRecordingRuleOverChangingSeriesNamesEachOneRightly() throws {
        let evaluator = GroupEvaluator(group: try doublingAndSumming())
        let rounds: [[String]] = [
            ["a", "b", "c"], ["a", "b", "c"], ["a", "c"], ["b", "c", "d"], ["a", "b", "c"], [],
        ]
        for (round, instances) in rounds.enumerated() {
            let time = Int64(round) * 15_000
            let data = MemorySeriesSource()
            for (position, instance) in instances.enumerated() {
                data.add(
                    Labels([("__name__", "up"), ("instance", instance)]),
                    [Sample(timestamp: time, value: Double(position + 1))])
            }
            let outcome = evaluator.evaluate(at: time, source: data)
            #expect(outcome.failures.isEmpty)
            let recorded = outcome.samples.filter { $0.labels.metric == "instance:up:double" && !$0.sample.isStale }
            #expect(
                recorded.map(\.labels)
                    == instances.map {
                        Labels([("__name__", "instance:up:double"), ("instance", $0), ("team", "ops")])
                    },
                "round \(round)")
            #expect(recorded.map(\.sample.value) == instances.indices.map { Double(2 * ($0 + 1)) })
            // The later rule read this round's series, none of the last round's.
            let total = outcome.samples.first { $0.labels.metric == "total" && !$0.sample.isStale }?.sample.value
            #expect(total == (instances.isEmpty ? nil : Double(instances.count * (instances.count + 1))))
        }
    }

    @Test func aRuleFileErrorNamesLineColumnAndReason() {
        #expect {
            _ = try RuleFile.groups(
                from: try ConfigNode.parse(
                    yaml: "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        for: soon\n",
                    file: "r.yaml"),
                file: "r.yaml")
        } throws: { error in
            "\(error)".hasPrefix("r.yaml:6:14: 'soon' is not a duration")
        }
    }
}

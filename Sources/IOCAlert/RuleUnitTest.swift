import Foundation
import IOCCore
import IOCQuery

/// Rule unit tests in promtool's format (`promtool test rules`), so that the same file gives the
/// same verdict under IOC and Prometheus:
///
/// ```yaml
/// rule_files: [availability.yaml]
/// evaluation_interval: 1m
/// tests:
///   - interval: 1m
///     input_series:
///       - series: 'probe_success{instance="hn"}'
///         values: '1 1 0x10'
///     alert_rule_test:
///       - eval_time: 5m
///         alertname: PortalDown
///         exp_alerts:
///           - exp_labels: {severity: critical, instance: hn}
///             exp_annotations: {summary: "hn is down"}
///     promql_expr_test:
///       - expr: probe_success
///         eval_time: 1m
///         exp_samples:
///           - labels: 'probe_success{instance="hn"}'
///             value: 1
/// ```
public enum RuleUnitTest {
    /// The result of one test file: whether it passed, and the report promtool would print.
    public struct Report: Sendable {
        public var file: String
        public var passed: Bool
        public var text: String
    }

    public static func run(_ path: String) -> Report {
        var lines = ["Unit Testing:  \(path)"]
        do {
            let failures = try run(file: path)
            if failures.isEmpty {
                lines.append("  SUCCESS")
            } else {
                lines.append("  FAILED:")
                lines += failures
            }
            return Report(file: path, passed: failures.isEmpty, text: lines.joined(separator: "\n") + "\n")
        } catch {
            lines.append("  FAILED:")
            lines.append("    \(error)")
            return Report(file: path, passed: false, text: lines.joined(separator: "\n") + "\n")
        }
    }

    /// The failures of a test file, as promtool words them; empty when every test holds. A file that
    /// cannot be read or a rule file that does not load throws.
    static func run(file path: String) throws -> [String] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, "cannot read the test file")
        }
        let root = try ConfigNode.parse(yaml: text, file: path)
        let top = try root.mapping(
            of: "a rule test file", allowedKeys: ["rule_files", "evaluation_interval", "group_eval_order", "tests"])
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var ruleFiles: [String] = []
        for node in try top["rule_files"]?.sequence(of: "'rule_files'") ?? [] {
            let name = try node.string("a rule file")
            for file in try expand(name.hasPrefix("/") ? name : base + "/" + name, at: node) { ruleFiles.append(file) }
        }
        let interval = try top["evaluation_interval"]?.duration("'evaluation_interval'") ?? .seconds(60)
        guard interval > .zero else { throw top.node.error("'evaluation_interval' must be more than 0") }
        let order = try top["group_eval_order"]?.sequence(of: "'group_eval_order'").map {
            node throws(ConfigError) in try node.string("a group name")
        }
        var groups = try RuleFile.load(ruleFiles)
        if let order {
            for name in order where !groups.contains(where: { $0.name == name }) {
                throw top.node.error("group name '\(name)' in group_eval_order not found")
            }
            let rank = Dictionary(order.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            groups = groups.enumerated().sorted {
                (rank[$0.element.name] ?? order.count + $0.offset, $0.offset)
                    < (rank[$1.element.name] ?? order.count + $1.offset, $1.offset)
            }.map(\.element)
        }
        var failures: [String] = []
        for node in try top["tests"]?.sequence(of: "'tests'") ?? [] {
            failures += try TestGroup(node, defaultInterval: interval).run(groups, evaluationInterval: interval)
        }
        return failures
    }

    private static func expand(_ pattern: String, at node: ConfigNode) throws(ConfigError) -> [String] {
        guard FileGlob.hasWildcard(pattern) else { return [pattern] }
        guard let paths = FileGlob.paths(matching: pattern), !paths.isEmpty else {
            throw node.error("'\(pattern)' matches no rule file")
        }
        return paths
    }
}

/// One item of `tests`.
private struct TestGroup {
    var name: String
    var interval: Int64
    var series: [(Labels, [Double?])]
    var externalLabels: [String: String]
    var externalURL: String
    var fuzzy: Bool
    var alertTests: [(time: Int64, text: String, alertname: String, expected: [(Labels, Labels)])]
    var exprTests: [(expression: String, time: Int64, text: String, expected: [(Labels, Double)]?, error: String?)]

    init(_ node: ConfigNode, defaultInterval: Duration) throws {
        let mapping = try node.mapping(
            of: "a test",
            allowedKeys: [
                "name", "interval", "input_series", "alert_rule_test", "promql_expr_test", "external_labels",
                "external_url", "fuzzy_compare", "start_timestamp",
            ])
        name = try mapping["name"]?.string("'name'") ?? ""
        interval = (try mapping["interval"]?.duration("'interval'") ?? defaultInterval).inMilliseconds
        externalLabels = Dictionary(
            try mapping["external_labels"]?.labels("'external_labels'") ?? [], uniquingKeysWith: { _, b in b })
        externalURL = try mapping["external_url"]?.string("'external_url'") ?? ""
        fuzzy = try mapping["fuzzy_compare"]?.bool("'fuzzy_compare'") ?? false
        series = []
        for item in try mapping["input_series"]?.sequence(of: "'input_series'") ?? [] {
            let entry = try item.mapping(of: "an input series", allowedKeys: ["series", "values"])
            let seriesNode = try entry.required("series")
            let text = try seriesNode.string("'series'") + " " + (try entry["values"]?.string("'values'") ?? "")
            do {
                series.append(try PromQLTest.seriesLine(text, line: seriesNode.location.line))
            } catch {
                throw seriesNode.error("\(error)")
            }
        }
        alertTests = []
        for item in try mapping["alert_rule_test"]?.sequence(of: "'alert_rule_test'") ?? [] {
            let entry = try item.mapping(of: "an alert test", allowedKeys: ["eval_time", "alertname", "exp_alerts"])
            let timeNode = try entry.required("eval_time")
            let time = try timeNode.duration("'eval_time'")
            guard let alertname = try entry["alertname"]?.string("'alertname'"), !alertname.isEmpty else {
                throw item.error(
                    "an item under alert_rule_test misses required attribute alertname at eval_time \(time.prometheusString)"
                )
            }
            var expected: [(Labels, Labels)] = []
            for alert in try entry["exp_alerts"]?.sequence(of: "'exp_alerts'") ?? [] {
                let fields = try alert.mapping(of: "an expected alert", allowedKeys: ["exp_labels", "exp_annotations"])
                var labels = try fields["exp_labels"]?.labels("'exp_labels'") ?? []
                labels.removeAll { $0.0 == "alertname" }
                labels.append(("alertname", alertname))
                var annotations: [(String, String)] = []
                if case .mapping(let entries)? = fields["exp_annotations"]?.value {
                    for note in entries { annotations.append((note.key, try note.value.string("an annotation"))) }
                }
                expected.append((Labels(labels), Labels(annotations)))
            }
            alertTests.append((time.inMilliseconds, time.prometheusString, alertname, expected))
        }
        exprTests = []
        for item in try mapping["promql_expr_test"]?.sequence(of: "'promql_expr_test'") ?? [] {
            let entry = try item.mapping(
                of: "a PromQL test", allowedKeys: ["expr", "eval_time", "exp_samples", "exp_error"])
            let expression = try entry.required("expr").string("'expr'")
            let time = try entry.required("eval_time").duration("'eval_time'")
            var expected: [(Labels, Double)] = []
            for sample in try entry["exp_samples"]?.sequence(of: "'exp_samples'") ?? [] {
                let fields = try sample.mapping(
                    of: "an expected sample", allowedKeys: ["labels", "value", "histogram"])
                let labelsText = try fields["labels"]?.string("'labels'") ?? "{}"
                let labels: Labels
                do {
                    labels = try PromQLTest.labels(labelsText, line: sample.location.line)
                } catch {
                    throw sample.error("labels \(GoFormat.quoted(labelsText)): \(error)")
                }
                let valueText = try fields.required("value").string("'value'")
                guard let value = PrometheusNumber.parse(valueText) else {
                    throw sample.error("'\(valueText)' is not a number")
                }
                expected.append((labels, value))
            }
            let error = try entry["exp_error"]?.string("'exp_error'")
            exprTests.append(
                (expression, time.inMilliseconds, time.prometheusString, error == nil ? expected : nil, error))
        }
    }

    func run(_ groups: [RuleGroup], evaluationInterval: Duration) throws -> [String] {
        let source = MemorySeriesSource()
        for (labels, values) in series {
            var samples: [Sample] = []
            for (step, value) in values.enumerated() {
                guard let value else { continue }
                samples.append(Sample(timestamp: Int64(step) * interval, value: value))
            }
            source.add(labels, samples)
        }
        let context = RuleContext(externalLabels: externalLabels, externalURL: externalURL)
        let evaluators = groups.map { GroupEvaluator(group: $0, context: context) }
        let step = evaluationInterval.inMilliseconds
        let last = max(alertTests.map(\.time).max() ?? 0, exprTests.map(\.time).max() ?? 0)
        let prefix = name.isEmpty ? "" : "    name: \(name),\n"
        var failures: [String] = []
        let pending = alertTests.sorted { $0.time < $1.time }
        var next = 0
        var time: Int64 = 0
        while time <= last {
            var errors: [String] = []
            for evaluator in evaluators {
                let outcome = evaluator.evaluate(at: time, source: source)
                for item in outcome.samples { source.add(item.labels, [item.sample]) }
                for failure in outcome.failures {
                    errors.append(
                        "    rule: \(failure.rule), time: \(Duration.milliseconds(time).prometheusString), err: \(failure.message)"
                    )
                }
            }
            if !errors.isEmpty { return failures + errors }
            // Alert tests whose time falls in [time, time + step) are checked against this evaluation.
            while next < pending.count, pending[next].time >= time, pending[next].time < time + step {
                let test = pending[next]
                next += 1
                let got = Self.firing(test.alertname, in: evaluators)
                let order = { (a: (Labels, Labels), b: (Labels, Labels)) in a.0 != b.0 ? a.0 < b.0 : a.1 < b.1 }
                let gotSorted = got.sorted(by: order)
                let expectedSorted = test.expected.sorted(by: order)
                if !gotSorted.elementsEqual(expectedSorted, by: { $0.0 == $1.0 && $0.1 == $1.1 }) {
                    failures.append(
                        "\(prefix)    alertname: \(test.alertname), time: \(test.text), \n        exp:\(describe(expectedSorted)), \n        got:\(describe(gotSorted))"
                    )
                }
            }
            time += step
        }
        return failures + checkExpressions(on: source, prefix: prefix)
    }

    /// The labels and annotations of the alerts named `alertname` that fire now.
    private static func firing(_ alertname: String, in evaluators: [GroupEvaluator]) -> [(Labels, Labels)] {
        var got: [(Labels, Labels)] = []
        for evaluator in evaluators {
            for (index, rule) in evaluator.group.rules.enumerated() where rule.name == alertname {
                for alert in evaluator.alertStates[index]?.all ?? []
                where alert.state == .firing && alert.resolvedAt == nil {
                    got.append((alert.labels, alert.annotations))
                }
            }
        }
        return got
    }

    /// The `promql_expr_test` items against the series and what the rules recorded.
    private func checkExpressions(on source: MemorySeriesSource, prefix: String) -> [String] {
        var failures: [String] = []
        let engine = Engine()
        for test in exprTests {
            do {
                let query = try Query(parsing: test.expression)
                let value = try engine.instant(query, at: test.time, source: source)
                var got: [(Labels, Double)] = []
                switch value {
                case .scalar(let number): got = [(Labels(), number)]
                case .vector(let elements): got = elements.map { ($0.labels, $0.value) }
                default: throw RuleError("rule result is not a vector or scalar")
                }
                if let error = test.error {
                    failures.append(
                        "    expr: \(GoFormat.quoted(test.expression)), time: \(test.text), err: expected error \(GoFormat.quoted(error)) but got none"
                    )
                    continue
                }
                let expected = (test.expected ?? []).sorted { $0.0 < $1.0 }
                got.sort { $0.0 < $1.0 }
                let same = expected.elementsEqual(got) { a, b in
                    a.0 == b.0
                        && (fuzzy ? PromQLTest.almostEqual(a.1, b.1) : a.1.bitPattern == b.1.bitPattern || a.1 == b.1)
                }
                if !same {
                    failures.append(
                        "\(prefix)    expr: \(GoFormat.quoted(test.expression)), time: \(test.text),\n        exp: \(samples(expected))\n        got: \(samples(got))"
                    )
                }
            } catch {
                if let expected = test.error, "\(error)".contains(expected) { continue }
                failures.append(
                    "\(prefix)    expr: \(GoFormat.quoted(test.expression)), time: \(test.text), err: \(error)")
            }
        }
        return failures
    }

    private func describe(_ alerts: [(Labels, Labels)]) -> String {
        guard !alerts.isEmpty else { return "[]" }
        let items = alerts.enumerated().map { index, alert in
            "\(index):\n              Labels:\(alert.0)\n              Annotations:\(alert.1)"
        }
        return "[\n            " + items.joined(separator: ",\n            ") + "\n            ]"
    }

    private func samples(_ items: [(Labels, Double)]) -> String {
        guard !items.isEmpty else { return "nil" }
        return items.map { "\($0.0) \(GoFormat.shortest($0.1).uppercased())" }.joined(separator: ", ")
    }
}

import Foundation
import Testing
import TestSupport

/// `ioc rules check` and `ioc rules test` against the shipped rules, and against promtool (from
/// Debian's prometheus package, which `make test` installs) on the same files: the verdicts must agree.
@Suite struct RulesCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Fixtures"
    static let promtool = "/usr/bin/promtool"

    static func shipped(_ suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: repository + "/rules")
            .filter { $0.hasSuffix(suffix) }.sorted().map { repository + "/rules/" + $0 }
    }

    @Test func theShippedRulesCheckAndTheirTestsPass() async throws {
        let ioc = try BuiltProduct.path("ioc")
        let rules = try Self.shipped(".yaml").filter { !$0.hasSuffix(".test.yaml") }
        let tests = try Self.shipped(".test.yaml")
        #expect(!rules.isEmpty && !tests.isEmpty)
        let check = try await TestProcess.run(ioc, ["rules", "check"] + rules)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("SUCCESS"))
        let test = try await TestProcess.run(ioc, ["rules", "test"] + tests)
        #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
        #expect(!test.stdout.contains("FAILED"))
        // As the README shows it: the whole folder, unit tests and all, checks.
        let folder = try await TestProcess.run(ioc, ["rules", "check"] + Self.shipped(".yaml"))
        #expect(folder.status == 0, "\(folder.stdout)\(folder.stderr)")
        #expect(folder.stdout.contains("SKIPPED: a rule unit test file"))
    }

    @Test func promtoolGivesTheShippedTestsAndTheTemplateFixtureTheSameVerdict() async throws {
        let files = try Self.shipped(".test.yaml") + [Self.fixtures + "/template-functions.test.yaml"]
        let ioc = try BuiltProduct.path("ioc")
        for file in files {
            let ours = try await TestProcess.run(ioc, ["rules", "test", file])
            let theirs = try await TestProcess.run(Self.promtool, ["test", "rules", file])
            #expect(ours.status == 0, "\(file): \(ours.stdout)")
            #expect(theirs.status == 0, "\(file): \(theirs.stdout)\(theirs.stderr)")
        }
    }

    /// Broken expectations and broken rules fail under both tools.
    @Test(arguments: [
        ("a wrong annotation", "exp_annotations: {summary: 'x is up'}"),
        ("a missing label", "exp_labels: {}"),
        ("an extra label", "exp_labels: {instance: x, severity: page, team: ops}"),
        ("no alert where one fires", "[]"),
    ])
    func aTestThatDoesNotHoldFailsUnderBothTools(name: String, expectation: String) async throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            "rules.yaml",
            """
            groups:
              - name: g
                rules:
                  - alert: Down
                    expr: up == 0
                    for: 1m
                    labels: {severity: page}
                    annotations: {summary: '{{ $labels.instance }} is down'}
            """)
        let alerts =
            expectation == "[]"
            ? "exp_alerts: []"
            : expectation.hasPrefix("exp_labels")
                ? "exp_alerts:\n          - \(expectation)\n            exp_annotations: {summary: 'x is down'}"
                : "exp_alerts:\n          - exp_labels: {instance: x, severity: page}\n            \(expectation)"
        let test = try directory.write(
            "test.yaml",
            """
            rule_files: [rules.yaml]
            evaluation_interval: 1m
            tests:
              - interval: 1m
                input_series:
                  - series: 'up{instance="x"}'
                    values: '0x5'
                alert_rule_test:
                  - eval_time: 3m
                    alertname: Down
                    \(alerts)
            """)
        let ioc = try BuiltProduct.path("ioc")
        let ours = try await TestProcess.run(ioc, ["rules", "test", test])
        let theirs = try await TestProcess.run(Self.promtool, ["test", "rules", test])
        #expect(ours.status == 1, "\(name): \(ours.stdout)")
        #expect(theirs.status == 1, "\(name): \(theirs.stdout)\(theirs.stderr)")
        #expect(ours.stdout.contains("alertname: Down, time: 3m"))
    }

    @Test func aBrokenRuleFileIsRejectedWithFileLineAndReason() async throws {
        let directory = try TemporaryDirectory()
        let cases = [
            (
                "groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: rate(up[5m]\n", "5:15",
                "could not parse expression"
            ),
            (
                "groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: up\n        annotations:\n          s: '{{ $labels.x'\n",
                "7:14", "template error"
            ),
            (
                "groups:\n  - name: g\n    rules:\n      - record: 'bad name'\n        expr: up\n", "4:17",
                "invalid recording rule name"
            ),
            (
                "groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: up\n        fro: 5m\n", "6:9",
                "unknown key 'fro'"
            ),
            ("groups:\n  - name: g\n    rules: []\n  - name: g\n    rules: []\n", "4:5", "repeated in the same file"),
        ]
        let ioc = try BuiltProduct.path("ioc")
        for (index, (text, position, reason)) in cases.enumerated() {
            let file = try directory.write("bad\(index).yaml", text)
            let ours = try await TestProcess.run(ioc, ["rules", "check", file])
            let theirs = try await TestProcess.run(Self.promtool, ["check", "rules", file])
            #expect(ours.status == 1 && theirs.status == 1, "\(text)\n\(ours.stdout)\n\(theirs.stdout)\(theirs.stderr)")
            #expect(ours.stdout.contains("\(file):\(position): "), "\(ours.stdout)")
            #expect(ours.stdout.contains(reason), "\(ours.stdout)")
        }
    }
}

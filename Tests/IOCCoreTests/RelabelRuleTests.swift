import IOCCore
import Testing

/// Prometheus' relabelling, case by case as its documentation and `relabel_test.go` describe them.
@Suite struct RelabelRuleTests {
    static let series = Labels([
        ("__name__", "ioc766:total_points"), ("province", "Huế"), ("period", "current"), ("job", "scorecard"),
        ("instance", "http://dvc.hue.gov.vn/stats"),
    ])

    static func rule(
        _ action: RelabelRule.Action, sources: [String] = [], regex: String = "(.*)", target: String = "",
        replacement: String = "$1", separator: String = ";"
    ) throws -> RelabelRule {
        RelabelRule(
            sourceLabels: sources, separator: separator, regex: try LinearRegex(regex, anchored: true),
            targetLabel: target, replacement: replacement, action: action)
    }

    @Test func dropAndKeepMatchTheJoinedSourcesWhole() throws {
        // Recorded series (a colon in the name) stay home; raw ones go.
        let dropRecorded = try Self.rule(.drop, sources: ["__name__"], regex: ".+:.+")
        #expect(dropRecorded.apply(to: Self.series) == nil)
        let raw = Self.series.withMetricName("dvc_dossiers_received")
        #expect(dropRecorded.apply(to: raw) == raw)
        // The regex is anchored: "current" does not match "cur".
        #expect(try Self.rule(.keep, sources: ["period"], regex: "cur").apply(to: Self.series) == nil)
        let both = try Self.rule(.keep, sources: ["period", "job"], regex: "current;score.*")
        #expect(both.apply(to: Self.series) == Self.series)
        let dash = try Self.rule(.keep, sources: ["period", "job"], regex: "current-scorecard", separator: "-")
        #expect(dash.apply(to: Self.series) == Self.series)
    }

    @Test func replaceWritesTheExpandedReplacementOrRemovesTheTarget() throws {
        let host = try Self.rule(
            .replace, sources: ["instance"], regex: "https?://([^/]+)/.*", target: "host", replacement: "${1}")
        #expect(host.apply(to: Self.series)?["host"] == "dvc.hue.gov.vn")
        // No match: unchanged.
        let none = try Self.rule(.replace, sources: ["job"], regex: "x(.*)", target: "job", replacement: "y$1")
        #expect(none.apply(to: Self.series) == Self.series)
        // An empty result removes the label.
        let remove = try Self.rule(.replace, sources: ["job"], regex: ".*", target: "job", replacement: "")
        #expect(remove.apply(to: Self.series)?["job"] == nil)
        // A target that expands to an invalid name changes nothing.
        let invalid = try Self.rule(.replace, sources: ["period"], regex: "(.*)", target: "${1}-x")
        #expect(invalid.apply(to: Self.series) == Self.series)
        // Named groups, and the target taken from the match.
        let named = try Self.rule(
            .replace, sources: ["period"], regex: "(?P<p>cur)rent", target: "${p}_period", replacement: "yes")
        #expect(named.apply(to: Self.series)?["cur_period"] == "yes")
    }

    @Test func labelActionsMatchNames() throws {
        let dropped = try Self.rule(.labeldrop, regex: "job|instance").apply(to: Self.series)
        #expect(dropped?.pairs.map(\.name) == ["__name__", "period", "province"])
        let kept = try Self.rule(.labelkeep, regex: "__name__|province").apply(to: Self.series)
        #expect(kept?.pairs.map(\.name) == ["__name__", "province"])
        let mapped = try Self.rule(.labelmap, regex: "p(.*)", replacement: "origin_p$1").apply(to: Self.series)
        #expect(mapped?["origin_province"] == "Huế" && mapped?["origin_period"] == "current")
        #expect(mapped?["province"] == "Huế", "labelmap copies, it does not move")
        let lower = try Self.rule(.uppercase, sources: ["period"], target: "period_upper").apply(to: Self.series)
        #expect(lower?["period_upper"] == "CURRENT")
    }

    @Test func rulesApplyInOrderAndNoLabelsMeansDropped() throws {
        let rules = [
            try Self.rule(.replace, sources: ["province"], target: "origin"),
            try Self.rule(.labeldrop, regex: "province"),
        ]
        let result = RelabelRule.apply(rules, to: Self.series)
        #expect(result?["origin"] == "Huế" && result?["province"] == nil)
        #expect(RelabelRule.apply([try Self.rule(.labelkeep, regex: "none")], to: Self.series) == nil)
    }
}

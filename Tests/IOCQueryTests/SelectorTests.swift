import IOCCore
import IOCQuery
import Testing

@Suite struct SelectorTests {
    @Test func parsesANameWithMatchers() throws {
        let selector = try Selector(
            parsing: #"probe_success{province="Huế", service=~"dvc|lgsp", job!="x",instance!~'.*:9'}"#)
        #expect(
            selector.matchers == [
                try LabelMatcher("__name__", .equal, "probe_success"), try LabelMatcher("province", .equal, "Huế"),
                try LabelMatcher("service", .matchesRegex, "dvc|lgsp"), try LabelMatcher("job", .notEqual, "x"),
                try LabelMatcher("instance", .doesNotMatchRegex, ".*:9"),
            ])
    }

    @Test(arguments: [
        ("up", 1), ("  up  ", 1), ("up{}", 1), (#"{job="a"}"#, 1), (#"up{job="a",}"#, 2), ("job:rate5m:sum", 1),
        (#"{__name__="up"}"#, 1), (#"up{path="a\"b\\c\n"}"#, 2), ("up{path=`raw\\n`}", 2),
    ])
    func acceptsSelectorForms(text: String, matcherCount: Int) throws {
        #expect(try Selector(parsing: text).matchers.count == matcherCount)
    }

    @Test func decodesEscapesInDoubleQuotesButNotInBackticks() throws {
        #expect(try Selector(parsing: #"up{a="x\"y\\z\n"}"#).matchers[1].value == "x\"y\\z\n")
        #expect(try Selector(parsing: "up{a=`x\\n`}").matchers[1].value == "x\\n")
    }

    @Test(arguments: [
        ("up{province}", 11, "expected '=', '!=', '=~' or '!~' after label name 'province'"),
        (#"up{a="b""#, 8, "unclosed '{'"),
        (#"up{a="b}"#, 5, "unterminated string"),
        (#"up{a=b}"#, 5, "expected a quoted string"),
        ("", 0, "empty query"),
        (#"{a=""}"#, 0, "vector selector must contain at least one non-empty matcher"),
        (#"up{a=~"("}"#, 6, "invalid regular expression"),
        ("up down", 3, "unexpected 'down', expected an operator or the end of the query"),
        ("rate(up[5m])", 0, "expected a selector"),
    ])
    func syntaxErrorsPointAtTheProblem(text: String, position: Int, message: String) {
        let error = #expect(throws: QueryError.self) { try Selector(parsing: text) }
        #expect(error?.position == position, "position of \(String(describing: error))")
        #expect(error?.message.contains(message) == true, "message of \(String(describing: error))")
        #expect(error?.description.contains("\n  " + String(repeating: " ", count: position) + "^") == true)
    }
}

/// An in-memory series source: the evaluator's semantics tested without a store.
struct FixedSource: SeriesSource {
    var series: [Series]

    func select(_ matchers: [LabelMatcher], from start: Int64, through end: Int64) throws -> [Series] {
        series.filter { item in matchers.allSatisfy { $0.matches(item.labels) } }.map {
            Series(labels: $0.labels, samples: $0.samples.filter { $0.timestamp >= start && $0.timestamp <= end })
        }
    }
}

@Suite struct InstantQueryTests {
    func series(_ instance: String, _ samples: [(Int64, Double)]) -> Series {
        Series(
            labels: Labels(["__name__": "probe_success", "instance": instance, "job": "j"]),
            samples: samples.map { Sample(timestamp: $0.0, value: $0.1) })
    }

    @Test func takesTheLatestSampleWithinTheLookbackWindow() throws {
        let source = FixedSource(series: [
            series("b", [(100_000, 0), (200_000, 1)]),
            series("a", [(290_000, 1), (310_000, 0)]),
        ])
        let result = try InstantQuery(parsing: "probe_success").evaluate(at: 300_000, on: source)
        #expect(result.map(\.labels["instance"]) == ["a", "b"])
        #expect(result.map(\.sample) == [Sample(timestamp: 290_000, value: 1), Sample(timestamp: 200_000, value: 1)])
    }

    @Test func theWindowIsOpenOnTheLeft() throws {
        let source = FixedSource(series: [series("a", [(0, 1)])])
        #expect(try InstantQuery(parsing: "probe_success").evaluate(at: 300_000, on: source).isEmpty)
        #expect(try InstantQuery(parsing: "probe_success").evaluate(at: 299_999, on: source).count == 1)
    }

    @Test func aStaleMarkerEndsTheSeries() throws {
        let source = FixedSource(series: [series("a", [(1_000, 1), (2_000, Sample.staleNaN)])])
        #expect(try InstantQuery(parsing: "probe_success").evaluate(at: 3_000, on: source).isEmpty)
        #expect(try InstantQuery(parsing: "probe_success").evaluate(at: 1_500, on: source).count == 1)
    }

    @Test func printsLikePromtool() {
        let sample = LabeledSample(
            labels: Labels(["__name__": "probe_success", "province": "Huế"]),
            sample: Sample(timestamp: 1_764_400_000_005, value: 1))
        #expect(sample.promtoolLine == #"probe_success{province="Huế"} => 1 @[1764400000.005]"#)
        #expect(PrometheusNumber.format(0.25) == "0.25")
        #expect(PrometheusNumber.format(.infinity) == "+Inf")
        #expect(PrometheusNumber.format(.nan) == "NaN")
    }
}

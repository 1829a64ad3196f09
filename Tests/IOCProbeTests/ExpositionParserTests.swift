import IOCCore
import IOCProbe
import Testing

@Suite struct ExpositionParserTests {
    func parse(_ text: String, _ format: ExpositionParser.Format = .prometheus, limit: Int = 1000) throws
        -> ExpositionParser.Result
    {
        try ExpositionParser(format: format, sampleLimit: limit).parse(Array(text.utf8), defaultTimestamp: 5_000)
    }

    func value(_ result: ExpositionParser.Result, _ series: String) -> Sample? {
        result.samples.first { $0.labels.description == series }?.sample
    }

    @Test func readsThePrometheusTextFormat() throws {
        let result = try parse(
            #"""
            # HELP http_requests_total Requests served,\nby code.
            # TYPE http_requests_total counter
            http_requests_total{code="200",path="/dvc"} 1027
            http_requests_total{code="500",path="/dvc",} 3 1764400000000
            # a plain comment
            queue_length{province="Huế",note="a \"quoted\" \\ path\nline"} 42.5

            request_seconds_bucket{le="+Inf"} 16
            temperature -Inf
            ratio NaN
            hex 0x1p-2
            big 1.5e+300
            """#)
        #expect(result.samples.count == 8)
        #expect(value(result, #"http_requests_total{code="200",path="/dvc"}"#) == Sample(timestamp: 5_000, value: 1027))
        #expect(value(result, #"http_requests_total{code="500",path="/dvc"}"#)?.timestamp == 1_764_400_000_000)
        let queue = try #require(result.samples.first { $0.labels.metric == "queue_length" })
        #expect(queue.labels["note"] == "a \"quoted\" \\ path\nline")
        #expect(queue.labels["province"] == "Huế")
        #expect(value(result, "temperature")?.value == -.infinity)
        #expect(value(result, "ratio")?.value.isNaN == true)
        #expect(value(result, "hex")?.value == 0.25)
        #expect(result.metadata["http_requests_total"]?.type == "counter")
        #expect(result.metadata["http_requests_total"]?.help == "Requests served,\nby code.")
    }

    @Test func readsOpenMetricsWithSecondsTimestampsAndEOF() throws {
        let result = try parse(
            """
            # TYPE dossiers counter
            # UNIT dossiers dossiers
            dossiers_total{province="Huế"} 17 1764400000.5
            dossiers_created{province="Huế"} 1751328000
            build_info{version="1.2.3"} 1 # {trace_id="abc"} 1.0
            # EOF
            """, .openMetrics)
        #expect(result.samples.count == 3)
        #expect(value(result, #"dossiers_total{province="Huế"}"#)?.timestamp == 1_764_400_000_500)
        #expect(result.metadata["dossiers"]?.unit == "dossiers")
    }

    @Test(arguments: [
        (
            "up_total{job=\"a\"} 1\nhalf_a_line{job=\"b\",inst", ExpositionParser.Format.prometheus,
            "line 2: the line ends inside the labels"
        ),
        ("m{path=\"C:\\q\"} 1\n", .prometheus, "line 1: bad escape '\\q'"),
        ("m{a=\"1\"} 1\nm{a=\"1\"} 2\n", .prometheus, "line 2: duplicate series m{a=\"1\"}"),
        ("m 1\nn\n", .prometheus, "line 2: no value after n"),
        ("m{a=\"1\",a=\"2\"} 1\n", .prometheus, "label 'a' appears twice"),
        ("m one\n", .prometheus, "'one' is not a value"),
        ("m 1 12.5\n", .prometheus, "is not a timestamp in milliseconds"),
        ("# TYPE m histogramm\nm 1\n", .prometheus, "line 1: 'histogramm' is not a metric type"),
        ("m 1\n", .openMetrics, "must end with '# EOF'"),
        ("m 1\n# EOF\nn 2\n", .openMetrics, "line 3: content after '# EOF'"),
        ("{a=\"b\"} 1\n", .prometheus, "expected a metric name"),
        ("m{a=\"b\" 1\n", .prometheus, "expected ',' or '}'"),
    ])
    func malformedInputIsAnErrorWithItsLine(text: String, format: ExpositionParser.Format, message: String) {
        let error = #expect(throws: ExpositionParser.ParseError.self) { try parse(text, format) }
        #expect(error?.description.contains(message) == true, "got \(String(describing: error))")
    }

    @Test func binaryGarbageIsAnErrorNotACrash() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let bytes = (0..<512).map { _ in UInt8.random(in: 0...255, using: &random) }
            #expect(throws: ExpositionParser.ParseError.self) {
                try ExpositionParser(format: .prometheus).parse(bytes, defaultTimestamp: 0)
            }
        }
    }

    @Test func theSampleLimitStopsTheParse() {
        let text = (0..<100).map { "m{i=\"\($0)\"} 1\n" }.joined()
        let error = #expect(throws: ExpositionParser.ParseError.self) { try parse(text, limit: 50) }
        #expect(error?.line == 51)
        #expect(error?.message.contains("more than 50 samples") == true)
    }
}

@Suite struct HistoryParsingTests {
    @Test func aHistoryFileRepeatsSeriesWithIncreasingTimestamps() throws {
        let text = "# TYPE up unknown\nup{job=\"a\"} 1 1.000\nup{job=\"a\"} 0 2.000\nup{job=\"b\"} 1 1.500\n# EOF\n"
        let result = try ExpositionParser(format: .openMetrics, history: true).parse(
            Array(text.utf8), defaultTimestamp: 0)
        #expect(
            result.samples.map(\.sample) == [
                Sample(timestamp: 1_000, value: 1), Sample(timestamp: 2_000, value: 0),
                Sample(timestamp: 1_500, value: 1),
            ])
        let backwards = "up 1 2.000\nup 1 2.000\n# EOF\n"
        let error = #expect(throws: ExpositionParser.ParseError.self) {
            try ExpositionParser(format: .openMetrics, history: true).parse(Array(backwards.utf8), defaultTimestamp: 0)
        }
        #expect(error?.line == 2)
        #expect(error?.message.contains("do not increase") == true)
    }
}

extension ExpositionParserTests {
    @Test func hostileTimestampsAndNamesAreErrorsOrQuotedNames() throws {
        #expect(throws: ExpositionParser.ParseError.self) { try parse("m 1 1e300\n# EOF\n", .openMetrics) }
        #expect(throws: ExpositionParser.ParseError.self) { try parse("m 1 1e17\n# EOF\n", .openMetrics) }
        #expect(throws: ExpositionParser.ParseError.self) { try parse(#"m{__name__="x"} 1"#) }
        #expect(throws: ExpositionParser.ParseError.self) { try parse(#"{"a","b"} 1"#) }
        let quoted = try parse(#"{"my.metric","label.name"="v"} 2"# + "\n" + #"# HELP "my.metric" A dotted name."#)
        #expect(quoted.samples.first?.labels == Labels(["__name__": "my.metric", "label.name": "v"]))
        #expect(quoted.metadata["my.metric"]?.help == "A dotted name.")
        // A feed's timestamp is read as it is; admission, not the parser, decides what is kept.
        #expect(try parse("m 1 9223372036854775807").samples.first?.sample.timestamp == .max)
    }

    @Test func metadataCountsAgainstTheSampleLimit() throws {
        let flood = (0..<20).map { "# HELP m\($0) help" }.joined(separator: "\n") + "\nm 1\n"
        #expect(throws: ExpositionParser.ParseError.self) { try parse(flood, limit: 10) }
        #expect(throws: Never.self) { try parse(flood, limit: 30) }
    }
}

import IOCCore
@testable import IOCProbe
import TestSupport
import Testing

/// `ioc import`'s streaming reader gives what the whole-file parser gives, sample for sample and
/// error for error, however the file is cut into blocks: its shortcut for lines of a series seen
/// before must not change a single answer.
@Suite struct HistoryStreamTests {
    static let tricky = """
        # TYPE m unknown
        # HELP m a help with "quotes" and a \\\\ backslash
        m{a="x} y",b="q\\"}\\" r"} 1 100
        m{a="x} y",b="q\\"}\\" r"} 2 100.5
        m{b="q\\"}\\" r",a="x} y"} 3 101
        m 4 100
        m 5 101 # {trace_id="t"} 1 100
        m 6 102
        m{a="é 東京"} NaN 100
        m{a="é 東京"} +Inf 100.001
        m{a="é 東京"} 1e-300 100.002
        {"dotted.name",a="1"} 7 100
        {"dotted.name",a="1"} 8 101

        # EOF

        """

    func whole(_ text: String) -> Result<[LabeledSample], ExpositionParser.ParseError> {
        Result { () throws(ExpositionParser.ParseError) in
            try ExpositionParser(format: .openMetrics, sampleLimit: .max, history: true)
                .parse(Array(text.utf8), defaultTimestamp: 42).samples
        }
    }

    func streamed(_ text: String, block: Int) -> Result<[LabeledSample], ExpositionParser.ParseError> {
        Result { () throws(ExpositionParser.ParseError) in
            var stream = HistoryStream(defaultTimestamp: 42)
            var samples: [LabeledSample] = []
            let bytes = Array(text.utf8)
            var start = 0
            while start < bytes.count {
                try stream.feed(bytes[start..<min(bytes.count, start + block)], into: &samples)
                start += block
            }
            try stream.finish(into: &samples)
            return samples
        }
    }

    func same(
        _ a: Result<[LabeledSample], ExpositionParser.ParseError>,
        _ b: Result<[LabeledSample], ExpositionParser.ParseError>
    ) -> Bool {
        switch (a, b) {
        case (.success(let x), .success(let y)):
            return x.count == y.count
                && zip(x, y).allSatisfy {
                    $0.labels == $1.labels && $0.sample.timestamp == $1.sample.timestamp
                        && $0.sample.value.bitPattern == $1.sample.value.bitPattern
                }
        case (.failure(let x), .failure(let y)): return x.line == y.line && x.message == y.message
        default: return false
        }
    }

    @Test(arguments: [1, 2, 7, 64, 4096])
    func theStreamGivesWhatTheWholeFileGives(block: Int) throws {
        let expected = whole(Self.tricky)
        guard case .success(let samples) = expected else {
            Issue.record("the whole-file parser refused the file: \(expected)")
            return
        }
        #expect(samples.count == 11)
        #expect(same(streamed(Self.tricky, block: block), expected))
    }

    /// Windows line ends (a statistics feed served from Windows) are line ends for both.
    @Test func windowsLineEndsAreLineEnds() throws {
        let text = "# TYPE m gauge\r\nm{a=\"1\"} 1 100\r\nm{a=\"1\"} 2 101\r\n# EOF\r\n"
        guard case .success(let samples) = whole(text) else {
            Issue.record("refused: \(whole(text))")
            return
        }
        #expect(samples.map(\.sample.value) == [1, 2])
        #expect(same(streamed(text, block: 5), whole(text)))
        let feed = try ExpositionParser(format: .prometheus).parse(
            Array("# TYPE up gauge\r\nup 1\r\nprobe_success 0\r\n".utf8), defaultTimestamp: 7)
        #expect(feed.samples.count == 2 && feed.metadata["up"]?.type == "gauge")
    }

    @Test(arguments: [
        "m{a=\"1\"} 1 100\nm{a=\"1\"} 2 100\n# EOF\n",  // a timestamp that does not increase (shortcut)
        "m{a=\"1\"} 1 100\nm{a=\"1\"} 2 99\n# EOF\n",
        "m{a=\"1\",b=\"2\"} 1 100\nm{b=\"2\",a=\"1\"} 2 100\n# EOF\n",  // the same series written two ways
        "m{a=\"1\"} 1 100\nm{a=\"1\"} x 101\n# EOF\n",
        "m{a=\"1\"} 1 100\nm{a=\"1\"} 2 101 junk\n# EOF\n",
        "m{a=\"1\"} 1 100\nm{a=\"1\"} 2\n# EOF\n",  // no timestamp: the default, before 100
        "m{a=\"1\"} 1 100\n# EOF\nm 1 1\n",
        "m{a=\"1\"} 1 100\nm{a=\"1\"} 2 101\n",
        "m{a=\"1\"} 1 100\nm{a=\"1\"  2 101\n# EOF\n",
    ])
    func errorsAreTheSameAtTheSameLine(text: String) {
        let expected = whole(text)
        for block in [1, 3, 4096] {
            #expect(same(streamed(text, block: block), expected), "\(text) in blocks of \(block)")
        }
    }

    /// A file cannot make the reader hold more than its bounds: series beyond the store's limit, or
    /// a line that never ends, are refused with the line.
    @Test func aFileIsHeldToItsBounds() async throws {
        try await onTestWorkThread {
            var stream = HistoryStream(defaultTimestamp: 0, maxSeries: 2)
            var samples: [LabeledSample] = []
            #expect(throws: ExpositionParser.ParseError.self) {
                try stream.feed(
                    Array("m{a=\"1\"} 1 1\nm{a=\"2\"} 1 1\nm{a=\"1\"} 2 2\nm{a=\"3\"} 1 1\n".utf8), into: &samples)
            }
            #expect(samples.count == 3 && stream.seriesCount == 2)
            var endless = HistoryStream(defaultTimestamp: 0)
            let block = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
            let refused: Bool = {
                for _ in 0...(HistoryStream.maxLineBytes >> 20) {
                    do { try endless.feed(block, into: &samples) } catch {
                        return "\(error)".contains("a line longer than")
                    }
                }
                return false
            }()
            #expect(refused)
        }
    }

    @Test func aNewSeriesIsAdmittedOrRefusedOnce() {
        var admitted: [Labels] = []
        var stream = HistoryStream(
            defaultTimestamp: 0, timestamps: 0...1_000_000,
            admit: { labels in
                admitted.append(labels)
                return labels["a"] == "bad" ? "a bad label" : nil
            })
        var samples: [LabeledSample] = []
        #expect(throws: Never.self) {
            try stream.feed(Array("m{a=\"1\"} 1 1\nm{a=\"1\"} 2 2\nm{a=\"1\"} 3 3\n".utf8), into: &samples)
        }
        #expect(admitted.count == 1 && samples.count == 3)
        #expect(throws: ExpositionParser.ParseError.self) {
            try stream.feed(Array("m{a=\"bad\"} 1 1\n".utf8), into: &samples)
        }
        #expect(throws: ExpositionParser.ParseError.self) {
            try stream.feed(Array("m{a=\"1\"} 1 2000\n".utf8), into: &samples)  // beyond the bounds
        }
    }
}

import IOCCore
@testable import IOCQuery
import Testing

@Suite struct ParserTests {
    /// The tree as text, parentheses showing how operators bound.
    func shape(_ expression: Expression) -> String {
        switch expression {
        case .number(let value): return PrometheusNumber.format(value)
        case .string(let text): return "\"\(text)\""
        case .vector(let selector): return selector.matchers.first?.value ?? "{}"
        case .matrix(let selector, let range): return "\(selector.matchers.first?.value ?? "{}")[\(range)]"
        case .subquery(let inner, let range, let step, _):
            return "\(shape(inner))[\(range):\(step.map(String.init) ?? "")]"
        case .parenthesis(let inner): return shape(inner)
        case .negation(let inner): return "-(\(shape(inner)))"
        case .pinned(let inner, .time(let time)): return "\(shape(inner)) @ \(time)"
        case .pinned(let inner, let time): return "\(shape(inner)) @ \(time == .start ? "start()" : "end()")"
        case .binary(let op, let left, let right, _): return "(\(shape(left)) \(op.rawValue) \(shape(right)))"
        case .aggregation(let aggregation, let inner, _, let grouping):
            return "\(aggregation.rawValue) \(grouping.without ? "without" : "by") \(grouping.labels) (\(shape(inner)))"
        case .call(let function, let arguments):
            return "\(function.name)(\(arguments.map(shape).joined(separator: ", ")))"
        }
    }

    @Test(arguments: [
        ("1 + 2 * 3", "(1 + (2 * 3))"),
        ("1 * 2 + 3", "((1 * 2) + 3)"),
        ("2 ^ 3 ^ 2", "(2 ^ (3 ^ 2))"),
        ("-2 ^ 2", "-((2 ^ 2))"),
        ("-a * b", "(-(a) * b)"),
        ("a or b and c", "(a or (b and c))"),
        ("a and b unless c", "((a and b) unless c)"),
        ("a + b > bool c", "((a + b) > c)"),
        ("a - b - c", "((a - b) - c)"),
        ("a / b atan2 c", "((a / b) atan2 c)"),
        ("sum by (job) (rate(x[5m]))", "sum by [\"job\"] (rate(x[300000]))"),
        ("sum(rate(x[5m])) without (instance)", "sum without [\"instance\"] (rate(x[300000]))"),
        ("max_over_time(rate(x[1m])[1h:5m])", "max_over_time(rate(x[60000])[3600000:300000])"),
        ("x[1h30m]", "x[5400000]"),
        // @ before or after offset, on selectors, ranges and subqueries; a range after it.
        ("x @ 100 offset 5m", "x @ 100000"), ("x offset 5m @ -1.5", "x @ -1500"),
        ("x[5m] @ end()", "x[300000] @ end()"),
        ("x @ start() [5m]", "x[300000] @ start()"), ("rate(x[1m])[5m:] @ 1e3", "rate(x[60000])[300000:] @ 1000000"),
        ("0x1F + 1e3 + .5 + Inf", "(((31 + 1000) + 0.5) + +Inf)"),
        // Unicode spaces separate tokens; a comment runs to a line break of any kind.
        ("a\u{00A0}+\u{2003}b # c\u{2028}* d", "(a + (b * d))"),
    ])
    func operatorsBindAsInPrometheus(text: String, expected: String) throws {
        #expect(shape(try Query(parsing: text).expression) == expected)
    }

    /// Strings keep their text as written, escapes of Go's kinds turned into what they stand for.
    @Test func stringsComeBackWithTheirEscapesApplied() throws {
        let cases = [
            (#""Phú Thọ""#, "Phú Thọ"), (#"'Ph\u00fa\x41\n'"#, "PhúA\n"), (#"`a\q é`"#, #"a\q é"#),
            (#""\U0001F600\t\"""#, "\u{1F600}\t\""),
            // `\x` and octal escapes are bytes, as in Go: two of them make one character here.
            (#""\xc3\xa9\303\251\101""#, "ééA"), (#"'\''"#, "'"),
        ]
        for (text, value) in cases {
            guard case .string(let parsed) = try Query(parsing: text).expression else {
                Issue.record("\(text) is not a string")
                continue
            }
            #expect(parsed == value, "\(text)")
        }
    }

    @Test(arguments: [
        ("sum(rate(x[5m])", 15, "unexpected end of query, expected ',' or ')'"),
        ("rate(x)", 0, #"expected type range vector in call to function "rate", got instant vector"#),
        ("x[5m] + 1", 6, "binary expression must contain only scalar and instant vector types, found range vector"),
        ("1 +", 3, "unexpected end of query, expected an expression"),
        ("x offset 5m offset 1m", 12, "offset may not be set multiple times"),
        ("x @ 100 @ 200", 8, "@ <timestamp> may not be set multiple times"),
        (
            "sum(x) @ 100", 7,
            "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery"
        ),
        ("x @ Inf", 4, "timestamp out of bounds for @ modifier: +Inf"),
        ("rate(x[5m] @ -9223372036854)", 14, "timestamp out of bounds for @ modifier: -9223372036854.000000"),
        ("x @ 253402300800", 4, "timestamp out of bounds for @ modifier: 253402300800.000000"),
        // A time whose windows would reach below the 64-bit range (evaluating it would trap).
        ("x[5m] @ -9223372036854775", 9, "timestamp out of bounds for @ modifier: -9223372036854776.000000"),
        ("x @ now()", 4, "unexpected 'now', expected a timestamp, start() or end() after @"),
        ("sum by (a) (x) by (b)", 0, "grouping given twice"),
        ("sum(x) by (a) by (b)", 14, "unexpected 'by', expected an operator or the end of the query"),
        ("1 == 1", 2, "comparisons between scalars must use BOOL modifier"),
        ("a + on(x) group_left(x) b", 10, "must not occur in ON and GROUP clause at once"),
        ("a + bool b", 4, "bool modifier can only be used on comparison operators"),
        ("topk(x)", 0, "wrong number of arguments for aggregate expression provided, expected 2, got 1"),
        ("histogram_fraction(0, 1, x)", 0, #"function "histogram_fraction" is not supported by IOC"#),
        ("x{a=\"b\" c=\"d\"}", 8, "unexpected 'c', expected ',' or '}'"),
        ("5m", 0, "unexpected duration"),
        ("x[0s]", 1, "a range must be greater than zero"),
        ("rate(x[5m])[0s:]", 11, "a subquery's range must be greater than zero"),
        // Units from the largest down, each once; no comma closing a call; modifiers after a range.
        ("x[1h1h]", 2, #"not a valid duration string: "1h1h""#), ("x[30m1h]", 2, "not a valid duration string"),
        ("count(x,)", 7, "trailing commas not allowed in function call args"),
        ("label_join(x, \"a\", \",\", \"b\",)", 27, "trailing commas not allowed"),
        ("x offset 1m [5m]", 12, "no offset modifiers allowed before range"),
        ("x @ 100 [5m]", 8, "no @ modifiers allowed before range"), ("x offset 0s", 9, "an offset must not be zero"),
        (#""\777""#, 1, "escape sequence is an invalid Unicode code point"),
        (#""\'""#, 1, "unknown escape sequence"), (#""\x4""#, 1, "bad escape sequence"),
        ("x ! y", 2, "unexpected '!'"),
        // Positions count characters, not bytes, past text that is not ASCII.
        ("x{tinh=\"Phú Thọ\"} + ", 20, "unexpected end of query"),
        ("x{a=\"Huế\"} é", 11, "unexpected character 'é'"),
        ("\"Thọ\" \"a\\qb\"", 8, "unknown escape sequence '\\q'"),
        ("\"Thọ\u{2028}\"", 0, "unterminated string"),
        ("1.5é", 3, "bad number or duration: unexpected 'é'"),
    ])
    func errorsNameThePositionAndWhatWasExpected(text: String, position: Int, message: String) {
        let error = #expect(throws: QueryError.self) { try Query(parsing: text) }
        #expect(error?.position == position, "\(String(describing: error))")
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
        #expect(error?.description.contains("^") == true)
    }
}

@Suite struct EngineLimitTests {
    /// A query that would load more samples than the engine allows fails with a clear error
    /// instead of exhausting memory; a smaller one runs.
    @Test func tooManySamplesIsAnError() throws {
        let source = MemorySeriesSource()
        for index in 0..<10 {
            source.add(
                Labels(["__name__": "m", "i": "\(index)"]),
                (0..<100).map { Sample(timestamp: Int64($0) * 15_000, value: Double($0)) })
        }
        let query = try Query(parsing: "sum(rate(m[10m]))")
        let strict = Engine(maxSamples: 300)
        let error = #expect(throws: QueryError.self) { try strict.instant(query, at: 1_485_000, source: source) }
        #expect(error?.message.contains("would load too many samples into memory") == true)
        #expect(error?.message.contains("(more than 300)") == true && error?.kind == .execution)
        let roomy = Engine(maxSamples: 10_000)
        guard case .vector(let result) = try roomy.instant(query, at: 1_485_000, source: source) else {
            Issue.record("expected a vector")
            return
        }
        #expect(result.count == 1)
        // Ten counters rising by 1 every 15 s.
        #expect(PromQLTest.almostEqual(result[0].value, 10.0 / 15))
    }
}

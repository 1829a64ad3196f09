import Dispatch
import IOCCore
import IOCQuery
import Testing

/// Queries an attacker would send: each is an error with Prometheus' error type, never a trap, a
/// stack overflow or a process that grows without bound.
@Suite struct QueryHardeningTests {
    @Test(arguments: [
        "up[1000000000y]", "up[1e300]", "up offset 9999999999y", "rate(up[5m])[1000000000y:1s]",
        String(repeating: "(", count: 20_000) + "1" + String(repeating: ")", count: 20_000),
        String(repeating: "-", count: 30_000) + "1",
        String(repeating: "sum(", count: 8_000) + "up" + String(repeating: ")", count: 8_000),
        Array(repeating: "1", count: 15_000).joined(separator: "+"),
        Array(repeating: "2", count: 400).joined(separator: "^"),
    ])
    func hostileQueriesAreParseErrors(_ text: String) {
        let error = #expect(throws: QueryError.self) { try Query(parsing: text) }
        #expect(error?.kind == .badData)
    }

    @Test func deepButReasonableQueriesStillParse() throws {
        let nested = String(repeating: "(", count: 100) + "up" + String(repeating: ")", count: 100)
        #expect(try Query(parsing: nested).expression.depth == 101)
        #expect(throws: Never.self) { try Query(parsing: Array(repeating: "up", count: 200).joined(separator: " + ")) }
    }

    @Test func theSubqueryBombIsALimitErrorAtOnce() throws {
        let query = try Query(parsing: "count_over_time(vector(1)[100d:1ms])")
        let error = #expect(throws: QueryError.self) {
            try Engine().instant(query, at: 1_800_000_000_000, source: MemorySeriesSource())
        }
        #expect(error?.kind == .execution)
    }

    /// A range query that fails while it is evaluated (many-to-many matching, a k that is not an
    /// integer) is an execution error (HTTP 422), as an instant query's is; its request was good.
    /// Found beside Prometheus, which answers 422 where iocd answered 400 `bad_data`.
    @Test(arguments: ["x / on () x", "topk(NaN, x)", "count_values(\"a b\", x)"])
    func aRangeQueryFailingAsItIsEvaluatedIsAnExecutionError(_ text: String) throws {
        let source = MemorySeriesSource()
        for name in ["a", "b"] {
            source.add(Labels([("__name__", "x"), ("i", name)]), [Sample(timestamp: 0, value: 1)])
        }
        let query = try Query(parsing: text)
        for fastPath in [true, false] {
            var engine = Engine()
            engine.fastPath = fastPath
            let error = #expect(throws: QueryError.self) {
                try engine.range(query, start: 0, end: 60_000, step: 15_000, source: source)
            }
            #expect(error?.kind == .execution, "\(String(describing: error))")
        }
        let badRequest = #expect(throws: QueryError.self) {
            try Engine().range(query, start: 60_000, end: 0, step: 15_000, source: source)
        }
        #expect(badRequest?.kind == .badData)
    }

    @Test func aLongQueryEndsAtItsTimeoutOrWhenCancelled() throws {
        let query = try Query(parsing: "count_over_time(vector(1)[2d:10ms])")
        let quick = Engine(timeout: .milliseconds(200))
        let clock = ContinuousClock()
        let started = clock.now
        let timedOut = #expect(throws: QueryError.self) {
            try quick.instant(query, at: 1_800_000_000_000, source: MemorySeriesSource())
        }
        #expect(timedOut?.kind == .timeout)
        // Soon after its timeout, not after building all 17 million steps (seconds in a debug build).
        #expect(clock.now - started < .seconds(5))
        let cancellation = QueryCancellation()
        cancellation.cancel()
        let cancelled = #expect(throws: QueryError.self) {
            try Engine().instant(query, at: 1_800_000_000_000, source: MemorySeriesSource(), cancellation: cancellation)
        }
        #expect(cancelled?.kind == .canceled)
    }

    @Test func rangeQueriesAreBoundedInPointsAndTimes() throws {
        let query = try Query(parsing: "vector(1)")
        #expect(throws: QueryError.self) {
            try Engine().range(query, start: 0, end: 86_400_000, step: 1, source: MemorySeriesSource())
        }
        #expect(QueryOutput.time("1e17") == nil)
        #expect(QueryOutput.time("-9223372036854775") == nil)
        #expect(QueryOutput.duration("1e300") == nil)
        #expect(QueryOutput.duration("0") == nil)
        #expect(QueryOutput.duration("15s") == 15_000 && QueryOutput.duration("0.5") == 500)
    }

    @Test func labelReplaceUsesLinearRegexWithGoExpansion() throws {
        let source = MemorySeriesSource()
        source.add(Labels(["__name__": "m", "instance": "host.gov.vn:443"]), [Sample(timestamp: 0, value: 1)])
        let query = try Query(parsing: #"label_replace(m, "host", "$1-${port}", "instance", "(.*):(?P<port>\\d+)")"#)
        guard case .vector(let result) = try Engine().instant(query, at: 0, source: source) else {
            Issue.record("expected a vector")
            return
        }
        #expect(result.first?.labels["host"] == "host.gov.vn-443")
    }

    /// A silence made from the dashboard names each label with `LabelMatcher.quote`: whatever the
    /// value holds (CR, ESC, quotes, backslashes), the notifier's parser reads back the same value.
    @Test(arguments: ["a\rb", "x\u{1B}[31m", #"q"\\"#, "tab\there", "nul\u{0}end", "Huế\u{85}"])
    func quotedMatcherValuesParseBack(_ value: String) throws {
        let selector = try Selector(parsing: "{province=\(LabelMatcher.quote(value))}")
        #expect(selector.matchers.first?.value == value)
    }

    /// The deepest queries the parser accepts evaluate on a thread of Dispatch's pool (512 KiB of
    /// stack), where the API, rules and dashboards may run them.
    @Test func theDeepestAcceptedQueriesEvaluateOnASmallStack() async throws {
        var deepest: [String] = []
        for (open, close) in [("(", ")"), ("sum(", ")"), ("-", ""), ("abs(", ")"), ("rate(", "[5m:1m])")] {
            var count = 1
            while (try? Query(
                parsing: String(repeating: open, count: count + 1) + "up" + String(repeating: close, count: count + 1)))
                != nil
            {
                count += 1
            }
            deepest.append(String(repeating: open, count: count) + "up" + String(repeating: close, count: count))
        }
        for text in deepest {
            let query = try Query(parsing: text)
            let evaluated = await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    let source = MemorySeriesSource()
                    source.add(
                        Labels(["__name__": "up"]),
                        [Sample(timestamp: 0, value: 1), Sample(timestamp: 60_000, value: 2)])
                    // Nested subqueries cost steps to the power of their depth: the timeout ends them.
                    let engine = Engine(timeout: .seconds(1))
                    func outcome(_ body: () throws -> Void) -> Bool {
                        do {
                            try body()
                            return true
                        } catch let error as QueryError {
                            return error.kind == .timeout && text.contains("[5m:1m]")
                        } catch {
                            return false
                        }
                    }
                    let instant = outcome { _ = try engine.instant(query, at: 60_000, source: source) }
                    let range = outcome {
                        _ = try engine.range(query, start: 0, end: 60_000, step: 15_000, source: source)
                    }
                    continuation.resume(returning: instant && range)
                }
            }
            #expect(evaluated, "\(text.prefix(20))")
        }
    }
}

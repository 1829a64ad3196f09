import IOCCore
import IOCQuery
import Testing

/// A selection a query makes twice, the same matchers over the same window read the same way, is
/// read from the source once; answers and the sample limit are what reading it twice gives (over
/// `NewestSelectionTests`' series, with a gap and a staleness marker).
@Suite struct SharedSelectionTests {
    /// The series, counting the reads.
    final class CountingSource: SeriesSource {
        let whole: MemorySeriesSource
        var reads = 0

        init(_ whole: MemorySeriesSource) { self.whole = whole }

        func select(_ matchers: [LabelMatcher], from start: Int64, through end: Int64) throws -> [Series] {
            reads += 1
            return try whole.select(matchers, from: start, through: end)
        }

        func selectNewest(_ matchers: [LabelMatcher], from start: Int64, through end: Int64, limit: Int) throws
            -> [Series]
        {
            reads += 1
            return try whole.select(matchers, from: start, through: end, limit: limit)
        }
    }

    @Test(arguments: [
        ("sum by (job) (x) / on (job) group_left count by (job) (x)", 1, 2),
        ("rate(x[5m]) / rate(x[5m])", 1, 2),
        ("rate(x[5m]) / rate(x[10m])", 2, 2),
        ("x - x offset 5m", 2, 2),
        ("rate(x[5m]) > 0 and x", 2, 2),
        ("x + x * x", 1, 3),
        ("sum(x{instance=\"1\"}) + sum(x{instance=\"1\"})", 1, 2),
        ("max_over_time(x[10m:1m]) - max_over_time(x[10m:1m])", 1, 2),
    ])
    func aSelectionMadeTwiceIsReadOnce(expression: String, reads: Int, readsApart: Int) throws {
        let query = try Query(parsing: expression)
        let store = NewestSelectionTests.store()
        var apart = Engine()
        apart.sharesSelections = false
        for (start, end) in [(Int64(1_200_000), Int64(1_200_000)), (600_000, 3_600_000)] {
            let shared = CountingSource(store)
            let separate = CountingSource(store)
            let answer = try Engine().range(query, start: start, end: end, step: 60_000, source: shared)
            let expected = try apart.range(query, start: start, end: end, step: 60_000, source: separate)
            #expect(answer == expected, "\(expression) from \(start) through \(end)")
            #expect(!answer.isEmpty)
            #expect(shared.reads == reads, "\(expression): \(shared.reads) reads")
            #expect(separate.reads == readsApart, "\(expression): \(separate.reads) reads apart")
        }
    }

    /// A limit that one reading fits and two do not fails the query either way.
    @Test func theSampleLimitCountsEachSelectionAsMade() throws {
        let query = try Query(parsing: "sum(x) / count(x)")
        let store = NewestSelectionTests.store()
        let once = try store.select([LabelMatcher("__name__", .equal, "x")], from: 0, through: 3_600_000)
            .reduce(0) { $0 + $1.samples.count }
        for shares in [true, false] {
            var engine = Engine(maxSamples: once + once / 2)
            engine.sharesSelections = shares
            #expect(throws: QueryError.self) {
                try engine.range(query, start: 300_000, end: 3_600_000, step: 60_000, source: store)
            }
            engine.maxSamples = 2 * once
            #expect(try engine.range(query, start: 300_000, end: 3_600_000, step: 60_000, source: store).count == 1)
        }
    }
}

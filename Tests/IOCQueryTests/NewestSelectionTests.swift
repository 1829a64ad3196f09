import IOCCore
import IOCQuery
import Testing

/// A selection read at one time may be answered with each series' newest sample alone. The engine
/// asks for that where a selector is read at one time only, and nowhere else: over a source that
/// leaves out everything it may, every query gives what it gives over the whole samples.
@Suite struct NewestSelectionTests {
    /// The series, and with `trims` on, each newest-only selection cut down to its last sample.
    final class TrimmingSource: SeriesSource {
        let whole: MemorySeriesSource
        let trims: Bool
        var newestSelections = 0

        init(_ whole: MemorySeriesSource, trims: Bool) {
            self.whole = whole
            self.trims = trims
        }

        func select(_ matchers: [LabelMatcher], from start: Int64, through end: Int64) throws -> [Series] {
            try whole.select(matchers, from: start, through: end)
        }

        func selectNewest(_ matchers: [LabelMatcher], from start: Int64, through end: Int64, limit: Int) throws
            -> [Series]
        {
            newestSelections += 1
            let series = try whole.select(matchers, from: start, through: end, limit: limit)
            return trims ? series.map { Series(labels: $0.labels, samples: Array($0.samples.suffix(1))) } : series
        }
    }

    static func store() -> MemorySeriesSource {
        let source = MemorySeriesSource()
        var generator = SplitMix64(seed: 5)
        for instance in 0..<6 {
            var total = 0.0
            let samples = stride(from: Int64(0), through: 3_600_000, by: 15_000).map { time in
                total += Double.random(in: 0..<10, using: &generator)
                // A gap and a staleness marker in some series, the marker at a time a query reads.
                let value = instance == 2 && time == 1_350_000 ? Sample.staleNaN : total
                return Sample(timestamp: time, value: value)
            }.filter { instance != 3 || $0.timestamp < 1_000_000 || $0.timestamp > 1_500_000 }
            source.add(Labels(["__name__": "x", "instance": "\(instance)", "job": "j"]), samples)
        }
        return source
    }

    @Test(arguments: [
        ("x", true), ("sum(x) + x", true), ("x @ 1200", true), ("x offset 10m", true), ("timestamp(x)", true),
        ("rate(x[5m])", false), ("max_over_time(x[10m:1m])", false), ("x - x offset 5m", true),
        ("rate(x[5m]) * on (instance) x", true), ("max_over_time((x @ 1800)[10m:1m])", true),
        ("deriv(x[10m:30s]) > 0 and x", true),
    ])
    func everyQueryGivesWhatTheWholeSamplesGive(expression: String, readsOneTime: Bool) throws {
        let query = try Query(parsing: expression)
        let store = NewestSelectionTests.store()
        for time in stride(from: Int64(0), through: 3_600_000, by: 450_000) {
            let trimmed = TrimmingSource(store, trims: true)
            let whole = TrimmingSource(store, trims: false)
            let one = try Engine().instant(query, at: time, source: trimmed)
            let other = try Engine().instant(query, at: time, source: whole)
            #expect(PromQLTestSuite.same(one, other), "\(expression) at \(time)")
            #expect((trimmed.newestSelections > 0) == readsOneTime, "\(expression)")
        }
        // A range query reads every selector at many times: never newest-only, but for `@`.
        let trimmed = TrimmingSource(store, trims: true)
        let range = try Engine().range(query, start: 600_000, end: 3_000_000, step: 60_000, source: trimmed)
        let whole = try Engine().range(
            query, start: 600_000, end: 3_000_000, step: 60_000, source: TrimmingSource(store, trims: false))
        #expect(range == whole, "\(expression) over a range")
        #expect((trimmed.newestSelections > 0) == expression.contains("@"), "\(expression) over a range")
    }
}

import IOCCore
import TestSupport
import Testing

@testable import IOCQuery

/// The right side of `and` and `unless` between two selectors loads only the series that can match
/// the left side's: the answers stay those of loading everything, with fewer series loaded.
@Suite struct SideFilterTests {
    /// A source that counts the series it gives, and with `filters` off gives every series even when
    /// asked to keep some (the engine's answer as if nothing were filtered).
    final class CountingSource: SeriesSource {
        let base: MemorySeriesSource
        let filters: Bool
        private(set) var seriesGiven = 0

        init(_ base: MemorySeriesSource, filters: Bool) {
            self.base = base
            self.filters = filters
        }

        func select(_ matchers: [LabelMatcher], from start: Int64, through end: Int64) throws -> [Series] {
            try select(matchers, from: start, through: end, limit: .max, keeping: { _ in true })
        }

        func select(
            _ matchers: [LabelMatcher], from start: Int64, through end: Int64, limit: Int,
            keeping keep: (Labels) -> Bool
        ) throws -> [Series] {
            let series = try base.select(matchers, from: start, through: end).filter { !filters || keep($0.labels) }
            seriesGiven += series.count
            return series
        }
    }

    /// `x` and `y` over provinces × services × instances, some series with gaps and staleness markers.
    static func store() -> MemorySeriesSource {
        let source = MemorySeriesSource()
        var random = SplitMix64(seed: 7)
        for name in ["x", "y"] {
            for province in 0..<4 {
                for service in 0..<5 {
                    for instance in 0..<3 {
                        var samples: [Sample] = []
                        for step in 0..<120 where random.next() % 5 != 0 {
                            let stale = random.next() % 40 == 0
                            samples.append(
                                Sample(timestamp: Int64(step) * 30_000, value: stale ? Sample.staleNaN : Double(step)))
                        }
                        source.add(
                            Labels([
                                "__name__": name, "province": "p\(province)", "service": "s\(service)",
                                "instance": "h\(instance)",
                            ]), samples)
                    }
                }
            }
        }
        return source
    }

    @Test(arguments: [
        #"x{province="p1"} unless x{service="s2"}"#, #"x{province="p1"} and x{service="s2"}"#,
        #"x{province="p1"} unless on (province) y{service="s2"}"#,
        #"x{province="p1"} and on (service, instance) y{province="p2"}"#,
        #"x{province="p1"} unless ignoring (province) y{province="p2"}"#,
        #"x{province="p1"} and on (__name__) x{service="s0"}"#, #"x{province="p1"} and on (__name__) y"#,
        #"(x{province="p1"}) unless ((y{instance="h1"}))"#, #"x{province="p1"} unless x{province="p1"} offset 5m"#,
        #"x{province="p1"} and ignoring (instance) y{instance="h1"}"#, #"x{service="s4"} unless on () y{service="s3"}"#,
        #"x{province="p9"} unless y"#, #"count(x{province="p1"} unless y{service="s2"} or y{province="p0"})"#,
    ])
    func answersAreThoseOfLoadingEverything(expression: String) async throws {
        try await onTestWorkThread {
            let query = try Query(parsing: expression)
            let store = SideFilterTests.store()
            let filtered = CountingSource(store, filters: true)
            let everything = CountingSource(store, filters: false)
            let engine = Engine()
            let range = try engine.range(query, start: 600_000, end: 3_600_000, step: 45_000, source: filtered)
            #expect(
                range == (try engine.range(query, start: 600_000, end: 3_600_000, step: 45_000, source: everything)))
            let instant = try engine.instant(query, at: 1_800_000, source: filtered)
            let expected = try engine.instant(query, at: 1_800_000, source: everything)
            guard case .vector(let got) = instant, case .vector(let wanted) = expected else {
                Issue.record("not a vector: \(instant)")
                return
            }
            #expect(got == wanted)
            #expect(filtered.seriesGiven <= everything.seriesGiven)
        }
    }

    @Test func theRightSideLoadsOnlyWhatCanMatch() throws {
        let store = SideFilterTests.store()
        let source = CountingSource(store, filters: true)
        // 15 series of p1 on the left; of s2's 12 on the right, the 3 of p1 can match.
        _ = try Engine().instant(
            try Query(parsing: #"x{province="p1"} unless x{service="s2"}"#), at: 1_800_000, source: source)
        #expect(source.seriesGiven == 15 + 3)
        // `on (province)`: all 5 of p1's services on the right can match; p2's 15 cannot.
        let other = CountingSource(store, filters: true)
        _ = try Engine().instant(
            try Query(parsing: #"x{province="p1"} and on (province) y{province=~"p1|p2"}"#), at: 1_800_000,
            source: other)
        #expect(other.seriesGiven == 15 + 15)
        // Not a selector on the left (its labels are not the series'): nothing is filtered.
        let unfiltered = CountingSource(store, filters: true)
        _ = try Engine().instant(
            try Query(parsing: #"sum by (service) (x{province="p1"}) unless x{service="s2"}"#), at: 1_800_000,
            source: unfiltered)
        #expect(unfiltered.seriesGiven == 15 + 12)
    }
}

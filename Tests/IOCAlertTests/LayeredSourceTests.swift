@testable import IOCAlert
import IOCCore
import IOCQuery
import Testing

/// What a rule sees: the store's series with the series the group's earlier rules recorded in the
/// same evaluation on top. The two lists are merged in one ordered pass when both come in label
/// order, and by fingerprint when one does not; both give the same series.
@Suite struct LayeredSourceTests {
    func series(_ province: String, _ group: String, _ samples: [Sample]) -> Series {
        Series(
            labels: Labels([("__name__", "ioc766:indicator_points"), ("province", province), ("group", group)]),
            samples: samples)
    }

    /// A source that gives its series in the order it holds them, sorted or not.
    struct FixedSource: SeriesSource {
        let series: [Series]
        func select(_ matchers: [LabelMatcher], from start: Int64, through end: Int64) throws -> [Series] {
            series.filter { item in matchers.allSatisfy { $0.matches(item.labels) } }
        }
    }

    @Test func bothMergesGiveTheSameSeries() throws {
        var generator = SplitMix64(seed: 11)
        let provinces = (0..<40).map { "Tỉnh \($0)" }
        var stored: [Series] = []
        let recent = MemorySeriesSource()
        for province in provinces {
            for group in ["progress", "publicity", "satisfaction"] {
                // Stored until a minute ago; recorded now for most, and some only recorded.
                let roll = Int.random(in: 0..<10, using: &generator)
                if roll < 8 { stored.append(series(province, group, [Sample(timestamp: 60_000, value: 1)])) }
                if roll > 1 { recent.add(series(province, group, []).labels, [Sample(timestamp: 120_000, value: 2)]) }
            }
        }
        stored.sort { $0.labels < $1.labels }
        let matchers = [try LabelMatcher("__name__", .equal, "ioc766:indicator_points")]
        let upper = try recent.select(matchers, from: 0, through: 120_000)
        let merged = try #require(LayeredSource.mergeSorted(stored, upper))
        #expect(merged == LayeredSource.mergeByFingerprint(stored, upper))
        #expect(merged.count == Set(stored.map(\.labels) + upper.map(\.labels)).count)
        #expect(zip(merged, merged.dropFirst()).allSatisfy { $0.labels < $1.labels })
        // A recorded sample comes after the stored one of the same series.
        let both = merged.first { $0.samples.count == 2 }
        #expect(both?.samples.map(\.value) == [1, 2])

        // A base that does not sort: the ordered merge notices and the other one answers.
        let shuffled = stored.shuffled(using: &generator)
        #expect(LayeredSource.mergeSorted(shuffled, upper) == nil)
        let layered = LayeredSource(base: FixedSource(series: shuffled), top: recent)
        #expect(try layered.select(matchers, from: 0, through: 120_000) == merged)
    }

    /// A base that counts the series whose samples it was asked to load.
    final class CountingSource: SeriesSource {
        let series: [Series]
        var loaded: [Labels] = []
        init(_ series: [Series]) { self.series = series }
        func select(_ matchers: [LabelMatcher], from start: Int64, through end: Int64) throws -> [Series] {
            try select(matchers, from: start, through: end, limit: .max) { _ in true }
        }
        func select(
            _ matchers: [LabelMatcher], from start: Int64, through end: Int64, limit: Int,
            keeping keep: (Labels) -> Bool
        ) throws -> [Series] {
            let kept = series.filter { item in matchers.allSatisfy { $0.matches(item.labels) } && keep(item.labels) }
            loaded += kept.map(\.labels)
            return kept
        }
    }

    /// Read at one time, a series recorded at that time hides the stored one: the store is not asked
    /// for its samples, and each series' newest sample is the one the whole selection ends with,
    /// whether the store gives its series in label order or not.
    @Test func newestLeavesOutWhatTheRecordedSeriesHide() throws {
        var generator = SplitMix64(seed: 12)
        var stored: [Series] = []
        let recent = MemorySeriesSource()
        var hidden: Set<Labels> = []
        for province in (0..<40).map({ "Tỉnh \($0)" }) {
            for group in ["progress", "publicity", "satisfaction"] {
                let labels = series(province, group, []).labels
                let roll = Int.random(in: 0..<10, using: &generator)
                if roll < 8 {
                    stored.append(
                        series(
                            province, group, [Sample(timestamp: 60_000, value: 1), Sample(timestamp: 90_000, value: 3)])
                    )
                }
                // Recorded at the time read (hiding the stored series), or earlier (hiding nothing).
                if roll > 3 {
                    recent.add(labels, [Sample(timestamp: 120_000, value: 2)])
                    if roll < 8 { hidden.insert(labels) }
                } else if roll > 1 {
                    recent.add(labels, [Sample(timestamp: 80_000, value: 4)])
                }
            }
        }
        stored.sort { $0.labels < $1.labels }
        let matchers = [try LabelMatcher("__name__", .equal, "ioc766:indicator_points")]
        for base in [stored, stored.shuffled(using: &generator)] {
            let counting = CountingSource(base)
            let layered = LayeredSource(base: counting, top: recent)
            let whole = try layered.select(matchers, from: 0, through: 120_000)
            counting.loaded = []
            let newest = try layered.selectNewest(matchers, from: 0, through: 120_000, limit: 1_000)
            #expect(newest.map(\.labels) == whole.map(\.labels))
            #expect(zip(newest, whole).allSatisfy { $0.samples.last == $1.samples.last })
            #expect(!hidden.isEmpty && Set(counting.loaded) == Set(stored.map(\.labels)).subtracting(hidden))
            #expect(throws: SampleLimitExceeded.self) {
                try layered.selectNewest(matchers, from: 0, through: 120_000, limit: newest.count - 1)
            }
        }
    }
}

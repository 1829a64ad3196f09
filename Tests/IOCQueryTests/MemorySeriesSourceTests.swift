import IOCCore
import IOCQuery
import Testing

/// Series held in memory answer the same whether they were added one at a time or a batch at a
/// time (as a rule's results are): batches with names in runs and mixed, series repeated within a
/// batch or already held, in label order or not.
@Suite struct MemorySeriesSourceTests {
    @Test(arguments: [1, 2, 3, 4, 5])
    func aBatchIsTheSameAsItsSeriesOneByOne(seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        let one = MemorySeriesSource()
        let batched = MemorySeriesSource()
        let names = ["a", "b", "ioc766:indicator_points"]
        for round in 0..<30 {
            let time = Int64(round / 3) * 60_000
            // Runs of one name, the name changing now and then; instances drawn from few, so that
            // some repeat within a batch or were added by an earlier one.
            var name = names[Int.random(in: 0..<names.count, using: &generator)]
            let items = (0..<Int.random(in: 0..<40, using: &generator)).map { _ -> LabeledSample in
                if Int.random(in: 0..<8, using: &generator) == 0 {
                    name = names[Int.random(in: 0..<names.count, using: &generator)]
                }
                let instance = "host-\(Int.random(in: 0..<25, using: &generator))"
                return LabeledSample(
                    labels: Labels([("__name__", name), ("instance", instance)]),
                    sample: Sample(timestamp: time, value: Double(Int.random(in: 0..<100, using: &generator))))
            }
            for item in items { one.add(item.labels, [item.sample]) }
            batched.add(items, fingerprints: items.map(\.labels.fingerprint))
        }
        for matchers in [
            [try LabelMatcher("__name__", .equal, "a")],
            [try LabelMatcher("__name__", .equal, "ioc766:indicator_points")],
            [try LabelMatcher("instance", .equal, "host-3")],
            [try LabelMatcher("__name__", .matchesRegex, "a|b"), try LabelMatcher("instance", .notEqual, "host-1")],
        ] {
            for (start, end) in [(Int64.min, Int64.max), (60_000, 180_000)] {
                let expected = try one.select(matchers, from: start, through: end)
                let given = try batched.select(matchers, from: start, through: end)
                #expect(given.map(\.labels) == expected.map(\.labels))
                #expect(given.map(\.samples) == expected.map(\.samples))
                #expect(zip(given, given.dropFirst()).allSatisfy { $0.labels < $1.labels })
            }
        }
    }
}

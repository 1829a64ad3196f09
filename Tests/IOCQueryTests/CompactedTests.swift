import IOCCore
import Testing

@testable import IOCQuery

/// The moving `compacted()` keeps the non-nil elements in their order, as `compactMap { $0 }` does,
/// and the metric-name check reads series in place with the answer of the copying one.
@Suite struct CompactedTests {
    @Test(arguments: [
        [Int?](), [nil], [1], [nil, nil, 3], [1, nil, 2, nil, nil, 3, 4, nil],
        Array(0..<1_000).map { $0 % 3 == 0 ? nil : $0 },
    ])
    func keepsTheElementsInOrder(_ items: [Int?]) {
        #expect(items.compacted() == items.compactMap { $0 })
    }

    @Test func movesLabelsAndValuesWithoutChangingThem() {
        let series = (0..<100).map { index in
            index % 7 == 0
                ? nil
                : Evaluation.StepSeries(
                    labels: Labels(["__name__": "x", "n": "\(index)"]), values: [Double(index), nil])
        }
        let moved = series.compacted()
        let copied = series.compactMap { $0 }
        #expect(moved.map(\.labels) == copied.map(\.labels))
        #expect(moved.map(\.values) == copied.map(\.values))
    }

    @Test func theNameCheckSeesAnyDifferentName() {
        func loaded(_ names: [String?]) -> [Evaluation.Loaded] {
            names.enumerated().map { index, name in
                var pairs = [("n", "\(index)")]
                if let name { pairs.append(("__name__", name)) }
                let labels = Labels(pairs)
                return Evaluation.Loaded(labels: labels, withoutName: labels, all: [], ranged: [])
            }
        }
        #expect(!Evaluation.namesDiffer(loaded([])))
        #expect(!Evaluation.namesDiffer(loaded(["x", "x", "x"])))
        #expect(!Evaluation.namesDiffer(loaded([nil, nil])))
        #expect(Evaluation.namesDiffer(loaded(["x", "x", "y"])))
        #expect(Evaluation.namesDiffer(loaded(["x", nil])))
        #expect(Evaluation.namesDiffer(loaded([nil, "x"])))
    }
}

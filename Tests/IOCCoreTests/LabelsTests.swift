import IOCCore
import Testing

@Suite struct LabelsTests {
    @Test func sortsByNameAndDropsEmptyValues() {
        let labels = Labels([("service", "dvc"), ("__name__", "probe_success"), ("job", "hue"), ("empty", "")])
        #expect(labels.pairs.map(\.name) == ["__name__", "job", "service"])
        #expect(labels.metric == "probe_success")
        #expect(labels["empty"] == nil)
        #expect(labels.description == #"probe_success{job="hue",service="dvc"}"#)
    }

    @Test func laterPairsWinAndOrderDoesNotMatter() {
        let first = Labels([("a", "1"), ("b", "2"), ("a", "3")])
        let second = Labels(["b": "2", "a": "3"])
        #expect(first == second)
        #expect(first.hashValue == second.hashValue)
        #expect(first.stableHash == second.stableHash)
    }

    @Test func escapesValuesAsTheTextFormatDoes() {
        let labels = Labels([("__name__", "m"), ("path", "C:\\x \"y\"\nz"), ("province", "Huế")])
        #expect(labels.description == #"m{path="C:\\x \"y\"\nz",province="Huế"}"#)
    }

    @Test func settingALabelKeepsTheSetSorted() {
        var labels = Labels([("job", "hue")])
        labels[Labels.metricName] = "up"
        labels["zone"] = "a"
        #expect(labels.pairs.map(\.name) == ["__name__", "job", "zone"])
        #expect(labels.droppingMetricName() == Labels([("job", "hue"), ("zone", "a")]))
    }

    /// The metric name is found where it sorts: first among lowercase names, after names that sort
    /// before it (capitals, digits), and absent when the first name sorts after it.
    @Test func theMetricNameIsFoundWhereverItSorts() {
        let cases: [(pairs: [(String, String)], metric: String?)] = [
            ([("__name__", "m"), ("job", "a")], "m"),
            ([("A", "x"), ("Z_", "y"), ("__name__", "m"), ("b", "z")], "m"),
            ([("0", "x"), ("A", "y")], nil),
            ([("A", "x"), ("b", "y")], nil),
            ([("job", "a")], nil),
            ([], nil),
        ]
        for (pairs, metric) in cases {
            let labels = Labels(pairs)
            #expect(labels.metric == metric, "\(labels)")
            #expect(labels.droppingMetricName() == Labels(pairs.filter { $0.0 != Labels.metricName }), "\(labels)")
        }
    }

    /// `without (...)` and `ignoring (...)` keys: the pairs left out found by search give the
    /// fingerprint of the pairs kept, whatever the names sort before or after, present or not, and
    /// for more names than the search takes.
    @Test func aFingerprintExcludingNamesIsThatOfThePairsKept() {
        var generator = SplitMix64(seed: 7)
        let names = ["A", "Z_", "__name__", "b", "group", "indicator", "job", "province", "zz", "instance"]
        for _ in 0..<500 {
            let pairs = names.filter { _ in Bool.random(using: &generator) }.map { ($0, "v\($0.count)") }
            let labels = Labels(pairs)
            let excluded = names.filter { $0 != Labels.metricName && Int.random(in: 0..<4, using: &generator) == 0 }
            let expected = labels.fingerprint { $0 != Labels.metricName && !excluded.contains($0) }
            #expect(labels.fingerprint(excluding: excluded) == expected, "\(labels) without \(excluded)")
            #expect(
                labels.fingerprint(excluding: excluded) == labels.droppingMetricName().fingerprint(excluding: excluded))
        }
    }

    @Test func staleMarkerIsOneSpecificNaN() {
        #expect(Sample(timestamp: 0, value: Sample.staleNaN).isStale)
        #expect(!Sample(timestamp: 0, value: .nan).isStale)
        #expect(Sample(timestamp: 1, value: .nan) == Sample(timestamp: 1, value: .nan))
        #expect(Sample(timestamp: 1, value: .nan) != Sample(timestamp: 1, value: Sample.staleNaN))
    }
}

@Suite struct LabelMatcherTests {
    @Test func equalityAndInequalityTreatAMissingLabelAsEmpty() throws {
        let labels = Labels([("province", "Huế")])
        #expect(try LabelMatcher("province", .equal, "Huế").matches(labels))
        #expect(try !LabelMatcher("province", .notEqual, "Huế").matches(labels))
        #expect(try LabelMatcher("service", .equal, "").matches(labels))
        #expect(try LabelMatcher("service", .notEqual, "dvc").matches(labels))
    }

    @Test func regularExpressionsAreAnchoredAtBothEnds() throws {
        let matcher = try LabelMatcher("service", .matchesRegex, "dvc|lgsp")
        #expect(matcher.matches("dvc"))
        #expect(matcher.matches("lgsp"))
        #expect(!matcher.matches("dvc2"))
        #expect(!matcher.matches("xdvc"))
        #expect(try LabelMatcher("service", .doesNotMatchRegex, "d.*").matches("lgsp"))
        #expect(try LabelMatcher("province", .matchesRegex, "H.*").matches("Huế"))
    }

    @Test func anInvalidRegularExpressionIsAnError() {
        #expect(throws: LabelMatcher.InvalidRegex.self) { try LabelMatcher("a", .matchesRegex, "(") }
    }

    /// The writer's series cache keys on the fingerprint: label sets that differ only in where a
    /// string ends, in a byte past the eighth, or in pair order of equal bytes must not collide.
    @Test func fingerprintsTellApartLabelSetsThatShareTheirBytes() {
        let sets: [Labels] = [
            Labels([("a", "bc")]), Labels([("ab", "c")]), Labels([("abc", "d")]), Labels([("ab", "cd")]),
            Labels([("instance", "https://dvc.example.vn/service/1")]),
            Labels([("instance", "https://dvc.example.vn/service/2")]),
            Labels([("instance", "https://dvc.example.vn/service/10")]),
            Labels([("a", "b"), ("c", "d")]), Labels([("a", "b"), ("cd", "e")]), Labels([("a", "bc"), ("d", "e")]),
            Labels([("province", "Huế")]), Labels([("province", "Hue\u{301}")]),
        ]
        let prints = sets.map(\.fingerprint)
        #expect(Set(prints.map { "\($0.first)-\($0.second)" }).count == sets.count)
        // The same labels, built separately, give the same fingerprint.
        #expect(Labels([("instance", "https://dvc.example.vn/" + "service/1")]).fingerprint == prints[4])
        // Over many similar series, no two collide in either half.
        let many = (0..<50_000).map { Labels([("__name__", "probe_success"), ("instance", "t\($0)")]).fingerprint }
        #expect(Set(many.map(\.first)).count == many.count)
        #expect(Set(many.map(\.second)).count == many.count)
        // A change in any byte of a value, its last ones read in one load or a byte at a time, tells
        // the sets apart; so does a value one byte longer.
        for length in 1...24 {
            let base = String(repeating: "a", count: length)
            var variants = [base, base + "a"]
            for position in 0..<length {
                variants.append(String(base.prefix(position)) + "b" + String(base.dropFirst(position + 1)))
            }
            let prints = variants.map { Labels([("instance", $0)]).fingerprint }
            #expect(Set(prints.map(\.first)).count == variants.count, "length \(length)")
        }
    }

    /// Tables keyed by fingerprint mix in their own seed (`_rawHashValue`): fingerprints that share
    /// their low bits still spread, and every one is found again.
    @Test func fingerprintTablesFindEveryKey() {
        let keys = (0..<20_000).map { Labels([("instance", "t\($0)")]).fingerprint }
        var table: [Fingerprint: Int] = [:]
        for (position, key) in keys.enumerated() { table[key] = position }
        #expect(table.count == keys.count)
        #expect(keys.enumerated().allSatisfy { table[$0.element] == $0.offset })
        let buckets = Set(keys.prefix(1_000).map { $0._rawHashValue(seed: 0) & 0xFFFF })
        #expect(buckets.count > 900)
    }

    /// The one-pass edits the rule evaluator and the engine use give what the subscript and the
    /// sorting initialiser give, on random label sets and edits.
    @Test func onePassEditsAgreeWithTheSubscript() {
        var generator = SplitMix64(seed: 5)
        let names = ["__name__", "group", "indicator", "job", "province", "zone", "Ä"]
        func random() -> String { ["", "a", "b", "Huế"].randomElement(using: &generator)! }
        for _ in 0..<500 {
            let labels = Labels(names.filter { _ in Bool.random(using: &generator) }.map { ($0, random()) })
            let changes = names.filter { _ in Bool.random(using: &generator) }.map { (name: $0, value: random()) }
            var expected = labels
            for change in changes { expected[change.name] = change.value }
            #expect(labels.applying(changes) == expected)
            #expect(labels.applying(changes).pairs.map(\.name) == expected.pairs.map(\.name))
            #expect(
                labels.droppingMetricName()
                    == {
                        var copy = labels; copy["__name__"] = nil; return copy
                    }())
            #expect(
                labels.keeping { $0 != "job" }
                    == Labels(labels.pairs.filter { $0.name != "job" }.map { ($0.name, $0.value) }))
            let chosen = names.filter { _ in Bool.random(using: &generator) }.shuffled(using: &generator)
            #expect(labels.fingerprint(ofNames: chosen) == labels.fingerprint { chosen.contains($0) })
            let other = Labels(names.filter { _ in Bool.random(using: &generator) }.map { ($0, random()) })
            let order = Labels.order(labels, other)
            #expect(order == (labels < other ? -1 : other < labels ? 1 : 0))
        }
    }
}

import Foundation
import IOCCore
@testable import IOCQuery
import TestSupport
import Testing

/// Runs every promqltest script in `promql/` (and, for checking the engine against other files,
/// those in `$IOC_PROMQL_TESTS` if set).
@Suite struct PromQLTestSuite {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("promql")

    static var files: [URL] {
        var directories = [directory]
        if let extra = ProcessInfo.processInfo.environment["IOC_PROMQL_TESTS"] {
            directories.append(URL(fileURLWithPath: extra))
        }
        return directories.flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [])
                .filter { $0.pathExtension == "test" }
        }
        .sorted { $0.path < $1.path }
    }

    @Test func theScriptsAreThere() {
        #expect(PromQLTestSuite.files.count >= 5)
    }

    @Test(arguments: PromQLTestSuite.files, [true, false])
    func script(_ file: URL, fastPath: Bool) throws {
        let text = try String(contentsOf: file, encoding: .utf8)
        var engine = Engine()
        engine.fastPath = fastPath
        for failure in PromQLTest(engine: engine).run(text) {
            Issue.record("\(file.lastPathComponent)\(fastPath ? "" : " (step by step)"):\(failure)")
        }
    }

    /// Range queries a series at a time and step by step give the same series and values, on random
    /// data with gaps, staleness markers and counter resets.
    @Test(arguments: [
        "m", "rate(m[5m])", "increase(m[3m] offset 2m)", "avg_over_time(m[10m])", "quantile_over_time(0.3, m[7m])",
        "predict_linear(m[5m], 60)", "last_over_time(m[2m])", "sum by (a) (irate(m[4m]))", "avg(m)",
        "max without (b) (deriv(m[6m]))", "count by (b) (changes(m[5m]))", "stddev(m)",
        // Operators, over all steps at once, and nodes of other shapes among them.
        "m * 2", "2 - m", "m > 40", "m > bool 40", "40 < m", "m == bool m", "m - m offset 2m", "-m",
        "rate(m[5m]) / on(a, b) rate(m[10m])", "rate(m[5m]) / ignoring(b) rate(m[10m])",
        "m > on(a, b) (m offset 1m)", "m / ignoring(b) group_left m{b=\"1\"}", "m and m > 30", "m or m offset 1m",
        "sum by (a) (rate(m[5m])) * 60", "sum(rate(m[5m])) / count(m)", "abs(m - 50) * 2", "time()", "1 + 2 * 3",
        "max_over_time(rate(m[5m])[10m:1m])", "avg_over_time((m > bool 40)[5m:30s])", "topk(2, m) + 1",
        "label_replace(m, \"c\", \"$1\", \"a\", \"(.*)\") * 2", "scalar(sum(m)) * m",
        // Aggregations with a parameter over a node worked out for all steps.
        "topk(2, rate(m[5m]))", "bottomk by (a) (1, m)", "quantile by (b) (0.3, m)", "count_values(\"v\", m > 40)",
        "topk(scalar(count(m)) - 10, avg by (a) (avg_over_time(m[5m])))", "topk(1, m) * 2",
        // absent over all steps: where the argument has nothing, and where it has.
        #"absent(m{a="9"})"#, "absent(m > 75)", "absent(m) or vector(2)", #"absent(sum by (a) (m{b="3"}) > 150)"#,
        // The times of the samples each step finds.
        "timestamp(m)", "timestamp((m offset 2m))", "timestamp(m > 40)", "timestamp({__name__=~\"m|h\"})",
        // quantile and count_values with each series' group found once.
        #"count_values("v", round(m / 10))"#, #"count_values by (a) ("a", round(m / 20))"#, #"count_values("", m)"#,
        "quantile(scalar(min(m)) / 100, rate(m[5m]))", "quantile without (b) (2, m)", "quantile by (a) (NaN, m)",
        // Range functions of subqueries: the inner expression once over the points of every window.
        "max_over_time(rate(m[5m])[10m:1m])", "avg_over_time(m[7m:2m] offset 3m)", "rate(sum(m)[15m:])",
        "quantile_over_time(0.4, (m > 40)[6m:45s])", "last_over_time(m[5m:1m])", "count_over_time(vector(1)[4m:30s])",
        "deriv(avg by (a) (m)[10m:1m])",
        // Histograms: buckets worked out over all steps, the quantile at each.
        #"histogram_quantile(0.9, sum by (le) (rate(h[5m])))"#, #"histogram_quantile(0.5, h)"#,
        #"histogram_quantile(scalar(min(h)) / 100, sum by (le, a) (h))"#,
        // Labels rewritten over all steps, and their errors.
        #"label_join(m, "k", "-", "a", "b")"#, #"label_replace(rate(m[5m]), "a", "z$1", "b", "(.)")"#,
        #"label_replace(m, "__name__", "n", "", "")"#, #"label_replace(m, "1bad", "x", "a", ".*")"#,
        #"label_replace(m, "c", "x", "a", "(")"#, #"sum by (k) (label_join(m, "k", "", "b"))"#,
        // Set operators over all steps, with and without matching labels.
        "m and m > 40", "m{b=\"1\"} unless m > 50", "m > 60 or m < 20", "m or m offset 2m",
        "m and on (a) (m{b=\"2\"} > 30)",
        "m unless ignoring (b) m{b=\"0\"} > 45", "rate(m[5m]) or vector(0)", "(m > 50 or m < 10) and m offset 1m",
        // topk and bottomk over all steps, with ties, NaN and k beyond the group.
        "bottomk(5, clamp_max(m, 30))", "topk by (b) (2, round(m, 10))", "topk(scalar(count(m)) / 2, m)",
        "topk(100, m)", "bottomk(0, m) or m", "topk(2, ln(m - 30))", "bottomk by (a) (3, ln(m - 30))",
        // Functions of each value, over all steps at once.
        "clamp_max(rate(m[5m]), 0.1)", "clamp(m, 20, 60)", "clamp(m, 60, 20) or m", "round(m, 3)", "round(rate(m[5m]))",
        "ceil(m / 7)", "sqrt(m) + ln(m)", "clamp_min(m, scalar(sum(m)) / 100)", "exp(m / 100)", "floor(-m)",
        "clamp(m, scalar(min(m)), scalar(max(m)) / 2)", "log2(sum by (a) (m))",
        "abs(label_replace(m, \"b\", \"x\", \"\", \"\"))",
        // Dates of values and of the steps themselves, over all steps at once.
        "hour(timestamp(m))", "minute(timestamp(m)) + on () group_left hour()", "day_of_week(m * 86400)",
        "year(m * 3e7)",
        "days_in_month(m * 3e6)", "day_of_year(-m * 4e5)", "month(m * 1e6) and m > 30", "day_of_month()",
        // absent_over_time: steps with nothing in the window, and none.
        #"absent_over_time(m{a="9"}[5m])"#, "absent_over_time((m > 90)[2m:30s])",
        #"absent_over_time(m{a="1", b="2"}[30s])"#,
        #"m{a="1"} and m{b="2"}"#, #"m unless m{b="2"}"#,
        // min, max, group and avg member by member: NaN first or later, and sums that overflow.
        "max by (a) (ln(m - 30))", "min(ln(m - 30))", "min without (a) (m)", "group by (b) (m > 40)",
        "avg by (b) (m * 1e307)", "avg(ln(m - 30))", "max(-m)",
        // Counter resets kept as the window slides, several in one window.
        "increase(m[30m])", "rate(m[1h] offset 5m)", "sum(increase(m[20m]))",
        // Many-to-one and one-to-many matches over all steps; where a step meets an error or a
        // duplicate, the operator at each step on the operands already worked out.
        "m / on (a) group_left sum by (a) (m)", "sum by (a) (m) - on (a) group_right m",
        "m > on (a) group_left () (sum by (a) (m) / 4)", "m > bool on (a) group_left avg by (a) (m)",
        "avg by (a) (m) < on (a) group_right m", "sum by (a) (rate(m[5m])) / ignoring (a) group_left sum(rate(m[5m]))",
        "m{b=\"1\"} + on (a) group_right (b) m", "m * on (a) group_left m", "m + on (a) m{b=\"1\"}",
        "m / on (a) group_left (b) sum by (a) (m)", "(m > 40) * on (a, b) group_left m{b!=\"0\"}",
        "label_replace(m, \"b\", \"x\", \"\", \"\") * on (a) group_left sum by (a) (m)",
        "m / ignoring (b) group_left () (m > 55)",
        "sort(rate(m[5m]))", "sort_desc(m) * 2", "sum(sort(m))", "sgn(m - 50) * deg(m)",
        "holt_winters(m[10m], 0.5, 0.3)", "sum(holt_winters(m[5m], 0.2, 0.8))", "holt_winters(m[10m:1m], 0.5, 0.5)",
        "holt_winters(m[10m], 1, 0.5)", "holt_winters(m[10m], (0.1), 0.9)", "holt_winters(m[10m], NaN, 0.5)",
        // @: the same at every step, whatever the step's time.
        "m @ 3000", "rate(m[5m] @ 4000)", "m - m @ start()", "max_over_time(m[10m:1m] @ end())",
        "m offset 2m @ 1000", "m / on (a) group_left sum by (a) (m @ 2500.5)", #"absent(m{a="7"} @ 100)"#,
        "sum(increase(m[10m] @ 4000))", "hour(m @ 100)", "hour()", "timestamp(m @ 3600)", "vector(time())",
        // Unary minus over all steps, and where names dropped make two series alike.
        "-rate(m[5m])", "-sum by (a) (m)", "-(time())", #"-{__name__=~"m|h"}"#,
        #"-label_replace(m, "__name__", "h", "", "")"#,
        #"-(label_replace(m{b="1"}, "__name__", "m2", "", "") or on (__name__, a, b) m{b="1"})"#,
        // scalar where there is one series, none or several at a step; vector of a scalar per step.
        #"scalar(sum(rate(m[5m])))"#, #"scalar(m{a="1", b="2"}) * m"#, #"scalar(m > 85)"#, "scalar(m)",
        "vector(scalar(max(m)) / 2) + 1", "m > on () group_left vector(scalar(avg(m)))",
        // Two series of one signature on the "one" side, never at the same step.
        #"m / on (a) group_left () (m{b="1"} and on () vector(time()) < 3000 or m{b="2"} and on () vector(time()) >= 3000)"#,
    ])
    func bothRangePathsAgree(expression: String) async throws {
        try await onTestWorkThread {
            var random = SplitMix64(seed: 42)
            let source = MemorySeriesSource()
            for a in 0..<3 {
                for b in 0..<4 {
                    var value = 0.0
                    var samples: [Sample] = []
                    for step in 0..<200 where random.next() % 7 != 0 {
                        let roll = random.next() % 50
                        value = roll == 0 ? 0 : value + Double(random.next() % 100) / 10
                        samples.append(
                            Sample(timestamp: Int64(step) * 30_000, value: roll == 1 ? Sample.staleNaN : value))
                    }
                    source.add(Labels(["__name__": "m", "a": "\(a)", "b": "\(b)"]), samples)
                }
            }
            // Cumulative buckets `h{a, le}`: each bucket's count at least the one below it.
            for a in 0..<2 {
                var counts = [0.0, 0, 0, 0]
                var buckets = [[Sample]](repeating: [], count: counts.count)
                for step in 0..<200 where random.next() % 9 != 0 {
                    var below = 0.0
                    for index in counts.indices {
                        counts[index] = max(counts[index] + Double(random.next() % 5), below)
                        below = counts[index]
                        buckets[index].append(Sample(timestamp: Int64(step) * 30_000, value: counts[index]))
                    }
                }
                for (index, le) in ["0.1", "0.5", "1", "+Inf"].enumerated() {
                    source.add(Labels(["__name__": "h", "a": "\(a)", "le": le]), buckets[index])
                }
            }
            let query = try Query(parsing: expression)
            var slow = Engine()
            slow.fastPath = false
            let fast: [Series]
            let general: [Series]
            do {
                general = try slow.range(query, start: 0, end: 6_000_000, step: 45_000, source: source)
            } catch {
                // What the general path refuses, the fast one refuses too.
                #expect(throws: QueryError.self) {
                    try Engine().range(query, start: 0, end: 6_000_000, step: 45_000, source: source)
                }
                return
            }
            fast = try Engine().range(query, start: 0, end: 6_000_000, step: 45_000, source: source)
            // And at single instants (subqueries evaluate their inner expression over all their steps).
            for time in stride(from: Int64(0), through: 6_000_000, by: 750_000) {
                let one = try Engine().instant(query, at: time, source: source)
                let other = try slow.instant(query, at: time, source: source)
                #expect(PromQLTestSuite.same(one, other), "at \(time)")
            }
            #expect(fast.count == general.count)
            #expect(!fast.isEmpty)
            for (one, other) in zip(fast, general) {
                #expect(one.labels == other.labels)
                #expect(one.samples.map(\.timestamp) == other.samples.map(\.timestamp))
                let same = zip(one.samples, other.samples).allSatisfy { PromQLTest.almostEqual($0.value, $1.value) }
                #expect(same, "\(one.labels)")
            }
        }
    }

    /// `topk` and `bottomk` over a range keep a short ordered list per group: over 240 series whose
    /// values tie often (and are sometimes NaN or missing), both paths choose the same series at
    /// every step, the earlier of two equals as the general path's stable sort does.
    @Test(arguments: [
        "topk(3, r)", "bottomk(2, r)", "topk by (a) (2, r)", "bottomk without (b) (4, r)", "topk(7, r > 1)",
        "topk(scalar(count(r)) / 40, r)",
    ])
    func rankingManySeriesAgrees(expression: String) async throws {
        try await onTestWorkThread {
            var random = SplitMix64(seed: 5)
            let source = MemorySeriesSource()
            let choices: [Double] = [1, 2, 2, 3, 3, 3, .nan, 0]
            for index in 0..<240 {
                var samples: [Sample] = []
                for step in 0..<60 where random.next() % 5 != 0 {
                    samples.append(
                        Sample(
                            timestamp: Int64(step) * 30_000, value: choices[Int(random.next() % UInt64(choices.count))])
                    )
                }
                source.add(Labels(["__name__": "r", "a": "\(index % 4)", "b": "\(index)"]), samples)
            }
            try PromQLTestSuite.expectBothRangePathsAgree(expression, over: source)
        }
    }

    /// `expression` over 0-30 minutes at 30 s, a series at a time and step by step: the same
    /// series, at the same steps, with the same bits (NaN as NaN).
    static func expectBothRangePathsAgree(_ expression: String, over source: MemorySeriesSource) throws {
        let query = try Query(parsing: expression)
        var slow = Engine()
        slow.fastPath = false
        let general = try slow.range(query, start: 0, end: 1_800_000, step: 30_000, source: source)
        let fast = try Engine().range(query, start: 0, end: 1_800_000, step: 30_000, source: source)
        #expect(!fast.isEmpty)
        #expect(fast.map(\.labels) == general.map(\.labels))
        for (one, other) in zip(fast, general) {
            #expect(one.samples.map(\.timestamp) == other.samples.map(\.timestamp), "\(one.labels)")
            let same = zip(one.samples, other.samples).allSatisfy {
                $0.value.bitPattern == $1.value.bitPattern || ($0.value.isNaN && $1.value.isNaN)
            }
            #expect(same, "\(one.labels)")
        }
    }

    /// `quantile_over_time` over a range keeps each window in order as it slides: at every step it
    /// gives, bit for bit, what sorting that window gives, with ties, both zeros, infinities and NaN
    /// among the values and windows that empty and fill again.
    @Test(arguments: [0, 0.3, 0.5, 0.99, 1, -1, 2, Double.nan])
    func aSlidingQuantileIsTheSortedWindowsQuantile(phi: Double) async throws {
        try await onTestWorkThread {
            var random = SplitMix64(seed: 11)
            let choices: [Double] = [.nan, -0.0, 0.0, 1, 2, 2, 3.5, -.infinity, .infinity, -7]
            var samples: [Sample] = []
            var time: Int64 = 0
            for _ in 0..<600 {
                time += Int64(random.next() % 4 == 0 ? 200_000 : 1_000 + random.next() % 20_000)
                samples.append(Sample(timestamp: time, value: choices[Int(random.next() % UInt64(choices.count))]))
            }
            // Steps short and long beside the samples' interval: the window kept in order, or sorted anew.
            let shapes: [(range: Int64, step: Int64)] = [
                (60_000, 15_000), (300_000, 60_000), (30_000, 90_000), (600_000, 240_000), (900_000, 900_000),
            ]
            for (range, step) in shapes {
                let steps: [Int64] = Array(stride(from: 0, through: time + range, by: Int(step)).map { Int64($0) })
                let sliding = samples.withUnsafeBufferPointer {
                    Evaluation.quantiles($0, steps: steps, offset: 0, range: range, phi: phi)
                }
                for (position, reference) in steps.enumerated() {
                    let window = samples.filter { $0.timestamp > reference - range && $0.timestamp <= reference }
                    let sorted = window.isEmpty ? nil : Evaluation.quantile(phi, window.map { $0.value })
                    let same =
                        sliding[position].map { value in
                            sorted.map { $0.bitPattern == value.bitPattern || ($0.isNaN && value.isNaN) } ?? false
                        }
                        ?? (sorted == nil)
                    #expect(
                        same,
                        "φ \(phi), range \(range) at \(reference): \(String(describing: sliding[position])) against \(String(describing: sorted))"
                    )
                }
            }
        }
    }

    /// `min_over_time` and `max_over_time` over a range keep the window's candidates as it slides:
    /// at every step, bit for bit, what folding the window in time order gives (the first of equal
    /// zeros, NaN only when all are), with windows that empty and fill again.
    @Test(arguments: [true, false])
    func aSlidingExtremeIsTheFoldedWindows(least: Bool) async throws {
        try await onTestWorkThread {
            var random = SplitMix64(seed: 29)
            let choices: [Double] = [.nan, -0.0, 0.0, 1, 2, 2, 3.5, -.infinity, .infinity, -7, .nan, .nan]
            var samples: [Sample] = []
            var time: Int64 = 0
            for _ in 0..<3_000 {
                time += Int64(random.next() % 4 == 0 ? 200_000 : 1_000 + random.next() % 20_000)
                samples.append(Sample(timestamp: time, value: choices[Int(random.next() % UInt64(choices.count))]))
            }
            let function: Evaluation.RangeFunction = least ? .minOverTime : .maxOverTime
            for (range, step) in [(60_000, 15_000), (600_000, 60_000), (30_000, 90_000), (3_600_000, 20_000)]
                as [(Int64, Int64)]
            {
                let steps: [Int64] = Array(stride(from: 0, through: time + range, by: Int(step)).map { Int64($0) })
                let sliding = samples.withUnsafeBufferPointer {
                    Evaluation.extremes($0, steps: steps, offset: 0, range: range, least: least)
                }
                for (position, reference) in steps.enumerated() {
                    let window = samples.filter { $0.timestamp > reference - range && $0.timestamp <= reference }
                    let folded = window.withUnsafeBufferPointer {
                        $0.isEmpty
                            ? nil
                            : Evaluation.overRange(
                                function, $0, range: range, at: reference, evaluated: reference, parameter: .nan)
                    }
                    let same =
                        sliding[position].map { value in
                            folded.map { $0.bitPattern == value.bitPattern || ($0.isNaN && value.isNaN) } ?? false
                        } ?? (folded == nil)
                    #expect(same, "range \(range) at \(reference): \(String(describing: sliding[position]))")
                }
            }
        }
    }

    static func same(_ one: QueryValue, _ other: QueryValue) -> Bool {
        switch (one, other) {
        case (.scalar(let a), .scalar(let b)): return PromQLTest.almostEqual(a, b)
        case (.vector(let a), .vector(let b)):
            return a.count == b.count
                && zip(a, b).allSatisfy { $0.labels == $1.labels && PromQLTest.almostEqual($0.value, $1.value) }
        default: return false
        }
    }

    /// The harness itself: a wrong value, a missing or extra series, a missing error and an error
    /// that was not expected are each reported, with their line.
    @Test func theHarnessReportsWhatDoesNotHold() {
        let script = """
            load 1m
              m{a="1"} 1 2 3
              m{a="2"} 5

            eval instant at 2m m
              m{a="1"} 4
              m{a="2"} 5

            eval instant at 2m m{a="1"}

            eval instant at 0 m
              m{a="1"} 1

            eval_fail instant at 0 m

            eval instant at 0 m{a=~"("

            eval range from 0 to 2m step 1m m{a="1"}
              m{a="1"} 1 2 _

            eval range from 0 to 2m step 1m m{a="1"}
              m{a="1"} 1+1x2
            """
        let failures = PromQLTest().run(script)
        #expect(failures.map(\.line) == [5, 9, 11, 14, 16, 18])
        #expect(failures.first?.message.contains("expected 4, got 3") == true, "\(failures)")
    }
}

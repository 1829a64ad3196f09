import Foundation
import Glibc
import IOCAlert
import IOCCore
import IOCReport
import IOCDashboard
import IOCHTTP
import IOCProbe
import IOCQuery
import IOCSimulator
import IOCStore
import Synchronization

/// Label matching with a regular expression that makes a backtracking engine take exponential
/// time: `{s=~".*.*.*.*.*.*.*.*b"}` over 1,000 values of 80 characters, half of which end in `b`.
/// IOC's matcher (RE2) against NSRegularExpression (ICU, what IOC used before), the same values in
/// the same run; milliseconds per 1,000 values, medians of `--runs`. The backtracking engine gets
/// `--baseline-values` values only (it takes seconds each), scaled to 1,000.
func regex() throws {
    let runs = Int(option("runs", "5")) ?? 5
    let baselineValues = Int(option("baseline-values", "2")) ?? 2
    let pattern = ".*.*.*.*.*.*.*.*b"
    let values = (0..<1000).map { String(repeating: "a", count: 79) + ($0 % 2 == 0 ? "c" : "b") }
    let matcher = try LabelMatcher("s", .matchesRegex, pattern)
    var linear: [Double] = []
    var matched = 0
    for _ in 0..<runs {
        let start = ContinuousClock.now
        matched = values.reduce(0) { $0 + (matcher.matches($1) ? 1 : 0) }
        linear.append((ContinuousClock.now - start).inSeconds * 1000)
    }
    guard matched == 500 else { throw BenchmarkError(description: "RE2 matched \(matched) of 1000, expected 500") }
    let backtracking = try NSRegularExpression(pattern: "^(?:\(pattern))$")
    var baseline: [Double] = []
    for _ in 0..<max(1, runs / 2) {
        let start = ContinuousClock.now
        for value in values.prefix(baselineValues) where value.hasSuffix("c") || value.hasSuffix("b") {
            _ = backtracking.firstMatch(in: value, range: NSRange(value.startIndex..., in: value))
        }
        baseline.append((ContinuousClock.now - start).inSeconds * 1000 / Double(baselineValues) * 1000)
    }
    printFigures(
        "regex",
        [("re2_ms_per_1000_values", median(linear)), ("backtracking_ms_per_1000_values", median(baseline))])
}

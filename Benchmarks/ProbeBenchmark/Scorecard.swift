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

/// The Decision 766 scorecards: the shipped rules/scorecard-766.yaml (69 rules) over the simulated
/// statistics of the 34 provinces for this month and last (29 fields each, 1,972 series), a day
/// of them at one-minute steps in the store as the daemon would leave it; then `--cycles` more
/// minutes, each evaluating the group through the daemon's reader. And `ioc report` of the month
/// (its ranking and availability, here without probes) from that store.
func scorecard() throws {
    ProcessMemory.keepFreedMemoryForReuse()
    let cycles = Int(option("cycles", "20")) ?? 20
    let rules = option("rules", "rules/scorecard-766.yaml")
    let directory = NSTemporaryDirectory() + "/ioc-scorecard-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let start = CalendarPeriod(year: 2026, kind: .month(11)).start + 14 * 86_400_000
    let clock = Atomic<Int64>(start)
    let writer = try SampleWriter(
        path: directory + "/ioc.db", capacity: 1_000_000, clock: { clock.load(ordering: .relaxed) })
    let evaluator = GroupEvaluator(group: try RuleFile.load(rules)[0])
    let scorecard = SimulatedScorecard(seed: 1, provinces: ProvinceCatalogue.current)
    let reader = try writer.makeReader()
    var times: [Double] = []
    var processorTimes: [Double] = []
    var ruleTimes = Array(repeating: [Double](), count: evaluator.group.rules.count)
    var calibrations: [Double] = []
    var produced = 0
    for minute in 0..<(1_440 + cycles) {
        let time = start + Int64(minute) * 60_000
        clock.store(time, ordering: .relaxed)
        var batch: [LabeledSample] = []
        for province in ProvinceCatalogue.current {
            for previous in [false, true] {
                for (field, value) in scorecard.counts(province, previous: previous, at: time) {
                    batch.append(
                        LabeledSample(
                            labels: Labels([
                                ("__name__", "dvc_\(field)"), ("job", "feeds"), ("province", province.name),
                                ("province_code", province.code), ("period", previous ? "previous" : "current"),
                            ]), sample: Sample(timestamp: time, value: Double(value))))
                }
            }
        }
        writer.append(batch)
        writer.flush()
        var samples: [LabeledSample] = []
        let processor = threadMilliseconds()
        let elapsed = milliseconds { samples = evaluator.evaluate(at: time, source: reader).samples }
        if minute >= 1_440 {
            times.append(elapsed)
            processorTimes.append(threadMilliseconds() - processor)
            calibrations.append(milliseconds { calibrate(provinces: ProvinceCatalogue.current) })
            for (index, duration) in evaluator.lastDurations.enumerated() {
                ruleTimes[index].append(duration.inSeconds)
            }
        }
        produced = samples.count
        writer.append(samples)
    }
    writer.flush()
    let reportReader = try writer.makeReader()
    var lines = 0
    let report = milliseconds {
        if let text = try? PeriodReport(
            period: CalendarPeriod(year: 2026, kind: .month(11)), source: reportReader, now: start + 86_400_000
        ).markdown() {
            lines = text.split(separator: "\n").count
        }
    }
    writer.close()
    if CommandLine.arguments.contains("--rule-times") {
        // The slowest rules, median milliseconds, to the standard error: where the time goes.
        let slowest = ruleTimes.enumerated().map { ($0.offset, median($0.element) * 1000) }.sorted { $0.1 > $1.1 }
        for (index, time) in slowest.prefix(12) {
            let rule = evaluator.group.rules[index]
            FileHandle.standardError.write(
                Data(
                    String(format: "%7.3f ms  %@  %@\n", time, rule.name, String(rule.expression.text.prefix(90))).utf8)
            )
        }
    }
    printFigures(
        "scorecard",
        [
            ("rules", Double(evaluator.group.rules.count)), ("input_series", 1_972),
            ("evaluation_median_ms", median(times)), ("evaluation_max_ms", times.max() ?? 0),
            ("evaluation_thread_cpu_median_ms", median(processorTimes)),
            ("calibration_median_ms", median(calibrations)), ("samples_per_evaluation", Double(produced)),
            ("report_month_ms", report),
            ("report_lines", Double(lines)),
        ])
}

/// A fixed piece of the same kind of work as an evaluation (label sets made, sorted, fingerprinted
/// and looked up), timed beside each one: this machine's runs of one build differ by up to 1.7× from
/// one period to the next, and this tells a slow period from a slow change.
func calibrate(provinces: [Province]) {
    var sets: [Labels] = []
    sets.reserveCapacity(provinces.count * 50)
    for province in provinces {
        for indicator in 0..<50 {
            sets.append(
                Labels([
                    ("__name__", "ioc766:indicator_ratio"), ("indicator", "\(indicator / 10).\(indicator % 10)"),
                    ("province", province.name), ("province_code", province.code), ("period", "current"),
                ]))
        }
    }
    sets.sort()
    var table: [Fingerprint: Int] = [:]
    for (position, labels) in sets.enumerated() { table[labels.droppingMetricName().fingerprint] = position }
    precondition(table.count == sets.count)
}

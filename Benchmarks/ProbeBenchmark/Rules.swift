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

/// The rule evaluator over the store, through the daemon's reader: 10,000 series (5,000 probe
/// results and 5,000 durations of 500 services × 10 instances, an hour at 15 s), 1,000 alerting rules
/// in 20 groups (500 `probe_success{service=...} == 0` and 500 `avg_over_time(...[5m]) > 0.5`, about
/// a tenth of them firing). Each cycle evaluates every group once, as the scheduler would, a cycle
/// 15 s of data time after the one before; the median and the slowest cycle of `--cycles`.
func rules() throws {
    ProcessMemory.keepFreedMemoryForReuse()
    let cycles = Int(option("cycles", "20")) ?? 20
    let directory = NSTemporaryDirectory() + "/ioc-rules-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let start: Int64 = 1_795_046_400_000
    let clock = Atomic<Int64>(start)
    let writer = try SampleWriter(
        path: directory + "/ioc.db", capacity: 1_000_000, clock: { clock.load(ordering: .relaxed) })
    var data = RuleBenchmarkSeries(writer: writer)
    func write(until end: Int64, from begin: Int64) {
        data.write(until: end, from: begin) { clock.store($0, ordering: .relaxed) }
    }
    var now = start + 3_600_000
    write(until: now, from: start)
    let text = benchmarkRules()
    let groups = try RuleFile.groups(from: try ConfigNode.parse(yaml: text, file: "bench.yaml"), file: "bench.yaml")
    let evaluators = groups.map { GroupEvaluator(group: $0) }
    let reader = try writer.makeReader()
    var times: [Double] = []
    var firing = 0
    var samples = 0
    for _ in 0..<cycles {
        write(until: now + 15_000, from: now)
        now += 15_000
        var produced = 0
        times.append(
            milliseconds {
                for evaluator in evaluators {
                    let outcome = evaluator.evaluate(at: now, source: reader)
                    produced += outcome.samples.count
                    writer.append(outcome.samples)
                }
            })
        samples = produced
        firing = evaluators.reduce(0) { total, evaluator in
            total + evaluator.alertStates.values.reduce(0) { $0 + $1.active.filter { $0.state == .firing }.count }
        }
    }
    writer.close()
    printFigures(
        "rules",
        [
            ("rules", 1_000), ("series", 10_000), ("cycle_median_ms", median(times)),
            ("cycle_max_ms", times.max() ?? 0), ("firing_alerts", Double(firing)),
            ("samples_per_cycle", Double(samples)),
        ])
}

/// 1,000 alert rules in 20 groups: for each of 500 services, one that it is down and one that it
/// is slow.
func benchmarkRules() -> String {
    var text = "groups:\n"
    for group in 0..<20 {
        text += "  - name: group-\(group)\n    rules:\n"
        for rule in 0..<50 {
            let service = group * 25 + rule / 2
            if rule % 2 == 0 {
                text += "      - alert: ServiceDown\n"
                text += "        expr: probe_success{service=\"svc-\(service)\"} == 0\n"
                text += "        for: 1m\n        labels: {severity: critical}\n"
                text += "        annotations: {summary: '{{ $labels.instance }} of {{ $labels.province }} is down'}\n"
            } else {
                text += "      - alert: ServiceSlow\n"
                text += "        expr: avg_over_time(probe_duration_seconds{service=\"svc-\(service)\"}[5m]) > 0.5\n"
                text += "        for: 2m\n        labels: {severity: warning}\n"
                text +=
                    "        annotations: {summary: '{{ $labels.instance }} answers in {{ $value | humanizeDuration }}'}\n"
            }
        }
    }
    return text
}

/// The probes of 500 services × 10 instances at 15 s: a tenth of the services down, a tenth of the
/// others slow.
struct RuleBenchmarkSeries {
    let writer: SampleWriter
    var random = SplitMix64(seed: 9)
    let services = 500

    func labels(_ name: String, _ service: Int, _ instance: Int) -> Labels {
        Labels([
            ("__name__", name), ("job", "portal"), ("service", "svc-\(service)"),
            ("instance", "https://svc-\(service)-\(instance).example/"),
            ("province", ProvinceCatalogue.current[service % ProvinceCatalogue.current.count].name),
        ])
    }

    /// Appends and commits `begin..<end`, in commits of about 500,000 samples; `advance` moves the
    /// writer's clock.
    mutating func write(until end: Int64, from begin: Int64, advance: (Int64) -> Void) {
        var batch: [LabeledSample] = []
        for time in stride(from: begin, to: end, by: 15_000) {
            for service in 0..<services {
                let down = service % 10 == 3
                let slow = service % 10 == 7
                for instance in 0..<10 {
                    batch.append(
                        LabeledSample(
                            labels: labels("probe_success", service, instance),
                            sample: Sample(timestamp: time, value: down ? 0 : 1)))
                    let duration = Double(Int(random.next() % 200_000) + (slow ? 600_000 : 20_000)) / 1e6
                    batch.append(
                        LabeledSample(
                            labels: labels("probe_duration_seconds", service, instance),
                            sample: Sample(timestamp: time, value: duration)))
                }
            }
            if batch.count >= 500_000 {
                advance(time)
                writer.append(batch)
                writer.flush()
                batch.removeAll(keepingCapacity: true)
            }
        }
        advance(end)
        writer.append(batch)
        writer.flush()
    }
}

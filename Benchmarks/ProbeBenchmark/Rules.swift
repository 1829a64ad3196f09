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
    // `--prometheus`: Prometheus' figure for the same rules and series, in the same run.
    let peer = CommandLine.arguments.contains("--prometheus") ? try prometheusRules(cycles: 5) : []
    printFigures(
        "rules",
        [
            ("rules", 1_000), ("series", 10_000), ("cycle_median_ms", median(times)),
            ("cycle_max_ms", times.max() ?? 0), ("firing_alerts", Double(firing)),
            ("samples_per_cycle", Double(samples)),
        ]
            + (peer.isEmpty
                ? [] : [("prometheus_cycle_median_ms", median(peer)), ("prometheus_cycles", Double(peer.count))]))
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

    /// The labels of a service's instance in the text format, without the name, sorted.
    static func text(_ service: Int, _ instance: Int) -> String {
        let province = ProvinceCatalogue.current[service % ProvinceCatalogue.current.count].name
        return "{instance=\"https://svc-\(service)-\(instance).example/\",job=\"portal\",province=\"\(province)\","
            + "service=\"svc-\(service)\"}"
    }

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

/// `ioc-bench rules --prometheus`: the same 1,000 rules over the same series in Prometheus 2.42
/// (Debian's), from its own self-metrics. The series are written as OpenMetrics for the hour up to
/// now and backfilled with promtool; Prometheus evaluates the rule file every 15 s, and after each
/// evaluation the sum of `prometheus_rule_group_last_duration_seconds` over the 20 groups is read
/// (Prometheus evaluates groups side by side; the sum is their work, as iocd's cycle is).
func prometheusRules(cycles: Int) throws -> [Double] {
    let work = NSTemporaryDirectory() + "/ioc-rules-prometheus-\(getpid())"
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    var servers: [Process] = []
    defer {
        for server in servers where server.isRunning { server.terminate() }
        for server in servers { server.waitUntilExit() }
        try? FileManager.default.removeItem(atPath: work)
    }
    let end = Int64(Date().timeIntervalSince1970) / 15 * 15
    // The durations drawn in the order iocd's series drew them (time, service, instance), written
    // series by series as OpenMetrics wants them.
    let times = Array(stride(from: end - 3_585, through: end, by: 15))
    var random = SplitMix64(seed: 9)
    var drawn: [Double] = []
    drawn.reserveCapacity(times.count * 5_000)
    for _ in times {
        for service in 0..<500 {
            for _ in 0..<10 {
                drawn.append(Double(Int(random.next() % 200_000) + (service % 10 == 7 ? 600_000 : 20_000)) / 1e6)
            }
        }
    }
    var text = "# TYPE probe_success gauge\n"
    for service in 0..<500 {
        for instance in 0..<10 {
            let labels = RuleBenchmarkSeries.text(service, instance)
            for time in times { text += "probe_success\(labels) \(service % 10 == 3 ? 0 : 1) \(time)\n" }
        }
    }
    text += "# TYPE probe_duration_seconds gauge\n"
    for service in 0..<500 {
        for instance in 0..<10 {
            let labels = RuleBenchmarkSeries.text(service, instance)
            for (step, time) in times.enumerated() {
                text += "probe_duration_seconds\(labels) \(drawn[step * 5_000 + service * 10 + instance]) \(time)\n"
            }
        }
    }
    try (text + "# EOF\n").write(toFile: work + "/data.om", atomically: true, encoding: .utf8)
    try run("/usr/bin/promtool", ["tsdb", "create-blocks-from", "openmetrics", work + "/data.om", work + "/prom"])
    try benchmarkRules().write(toFile: work + "/rules.yml", atomically: true, encoding: .utf8)
    let port = freeLoopbackPort()
    servers.append(
        try launchPrometheus(
            in: work, configuration: "global:\n  evaluation_interval: 15s\nrule_files: [\(work)/rules.yml]\n",
            port: port))
    let client = HTTPClient()
    try waitUntilAnswering(client, "http://127.0.0.1:\(port)/-/ready")
    var sums: [Double] = []
    var last: [String: Double] = [:]
    let deadline = ContinuousClock.now + .seconds(15 * (cycles + 4))
    while sums.count < cycles && ContinuousClock.now < deadline {
        usleep(500_000)
        let metrics = String(
            decoding: client.performWaiting(HTTPRequest(url: "http://127.0.0.1:\(port)/metrics")).body, as: UTF8.self)
        var times: [String: Double] = [:]
        var durations: [String: Double] = [:]
        for line in metrics.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let value = Double(parts[1]) else { continue }
            if line.hasPrefix("prometheus_rule_group_last_evaluation_timestamp_seconds{") {
                times[String(parts[0].drop { $0 != "{" })] = value
            } else if line.hasPrefix("prometheus_rule_group_last_duration_seconds{") {
                durations[String(parts[0].drop { $0 != "{" })] = value
            }
        }
        // A cycle is complete when every group has been evaluated again since the last one read.
        guard times.count == 20, times.values.allSatisfy({ $0 > 0 }),
            last.isEmpty || times.allSatisfy({ $0.value > last[$0.key] ?? 0 })
        else { continue }
        if !last.isEmpty { sums.append(durations.values.reduce(0, +) * 1000) }
        last = times
    }
    return sums
}

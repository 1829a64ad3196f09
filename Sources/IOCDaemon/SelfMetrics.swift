import Foundation
import IOCAlert
import IOCConfig
import IOCCore
import IOCProbe
import IOCQuery
import IOCStore
import Synchronization

/// How late probes start against their schedule, for /metrics.
final class LatenessCounter: Sendable {
    private struct Totals {
        var count = 0
        var sum: Int64 = 0
        var max: Int64 = 0
    }

    private let totals = Mutex(Totals())

    func record(_ milliseconds: Int64) {
        totals.withLock {
            $0.count += 1
            $0.sum += max(0, milliseconds)
            $0.max = Swift.max($0.max, milliseconds)
        }
    }

    var snapshot: (count: Int, sum: Int64, max: Int64) { totals.withLock { ($0.count, $0.sum, $0.max) } }
}

/// Lines of Prometheus' text format, a metric at a time.
private struct MetricsText {
    var lines: [String] = []

    mutating func metric(_ name: String, _ type: String, _ help: String, _ value: Double, _ labels: String = "") {
        header(name, type, help)
        lines.append("\(name)\(labels) \(PrometheusNumber.format(value))")
    }

    mutating func header(_ name: String, _ type: String, _ help: String) {
        lines.append("# HELP \(name) \(help)")
        lines.append("# TYPE \(name) \(type)")
    }

    mutating func line(_ text: String) { lines.append(text) }
}

/// When this process started: its start in clock ticks after boot (/proc/self/stat, field 22) plus
/// the boot time (/proc/stat, btime).
enum ProcessStart {
    static func unixSeconds() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")"),
            let boot = try? String(contentsOfFile: "/proc/stat", encoding: .utf8)
        else { return nil }
        // After the command name in parentheses (which may hold spaces), field 3 is the first.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]),
            let line = boot.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
            let bootTime = Double(line.dropFirst("btime ".count).trimmingCharacters(in: .whitespaces))
        else { return nil }
        return bootTime + ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// iocd's own metrics in Prometheus' text format: probing, the store, rules, notifications.
enum SelfMetrics {
    /// When the process started, as the kernel tells (as Prometheus' client libraries read it): a
    /// static initialised on first use would say when /metrics was first scraped.
    static let started = ProcessStart.unixSeconds() ?? Date().timeIntervalSince1970

    static func text(
        writer: SampleWriter, probes: ProbeSeriesWriter.Statistics, skipped: Int, lateness: LatenessCounter,
        alerting: AlertingRuntime, remoteWriters: [RemoteWriter] = [], apiRequestsRunning: Int = 0,
        reloads: ReloadStatus? = nil
    ) -> String {
        var text = MetricsText()
        probing(&text, probes: probes, skipped: skipped, lateness: lateness, apiRequestsRunning: apiRequestsRunning)
        if let reloads {
            text.metric(
                "ioc_config_last_reload_successful", "gauge", "Whether the last configuration reload succeeded.",
                reloads.successful ? 1 : 0)
            text.metric(
                "ioc_config_last_reload_success_timestamp_seconds", "gauge",
                "When the configuration was last loaded successfully (at start or by a reload), in Unix seconds.",
                reloads.lastSuccess)
        }
        storing(&text, writer: writer)
        rulesAndNotifications(&text, alerting.statistics)
        ruleGroups(&text, alerting.groupStatuses)
        remoteWriting(&text, remoteWriters)
        return text.lines.joined(separator: "\n") + "\n"
    }

    private static func probing(
        _ text: inout MetricsText, probes: ProbeSeriesWriter.Statistics, skipped: Int, lateness: LatenessCounter,
        apiRequestsRunning: Int
    ) {
        text.metric(
            "ioc_build_info", "gauge",
            "IOC's version, the revision it was built from, its compiler and the memory allocator it runs with.", 1,
            "{version=\"\(IOCVersion.current)\",revision=\"\(IOCVersion.revision)\",swiftversion=\"\(IOCVersion.swiftVersion)\",allocator=\"\(ProcessMemory.allocator)\"}"
        )
        text.metric("process_start_time_seconds", "gauge", "When iocd started, in Unix seconds.", started)
        text.metric(
            "ioc_api_requests_running", "gauge", "API requests being answered or waiting for a thread.",
            Double(apiRequestsRunning))
        text.metric("ioc_probes_total", "counter", "Probes run.", Double(probes.probes))
        text.metric("ioc_probes_failed_total", "counter", "Probes that failed.", Double(probes.probesFailed))
        text.metric("ioc_scrapes_total", "counter", "Feeds scraped.", Double(probes.scrapes))
        text.metric("ioc_scrapes_failed_total", "counter", "Feed scrapes that failed.", Double(probes.scrapesFailed))
        text.header("ioc_samples_rejected_total", "counter", "Feed samples refused on admission, by reason.")
        for reason in SampleAdmission.Reason.allCases {
            text.line("ioc_samples_rejected_total{reason=\"\(reason.rawValue)\"} \(probes.rejected[reason] ?? 0)")
        }
        text.metric(
            "ioc_probe_slots_skipped_total", "counter", "Probe slots skipped because the last probe had not ended.",
            Double(skipped))
        let late = lateness.snapshot
        text.header("ioc_probe_lateness_seconds", "summary", "How late probes started against their schedule.")
        text.line("ioc_probe_lateness_seconds_sum \(PrometheusNumber.format(Double(late.sum) / 1000))")
        text.line("ioc_probe_lateness_seconds_count \(late.count)")
        text.metric(
            "ioc_probe_lateness_max_seconds", "gauge", "The latest any probe started, since iocd started.",
            Double(late.max) / 1000)
    }

    private static func storing(_ text: inout MetricsText, writer: SampleWriter) {
        let store = writer.statistics
        text.metric(
            "ioc_store_samples_written_total", "counter", "Samples committed to the store.", Double(store.written))
        text.metric(
            "ioc_store_samples_dropped_total", "counter", "Samples dropped (buffer full or a failed commit).",
            Double(store.dropped))
        text.metric(
            "ioc_store_samples_refused_total", "counter", "Samples refused as duplicates or out of order.",
            Double(store.duplicates + store.outOfOrder))
        text.metric(
            "ioc_store_samples_out_of_bounds_total", "counter",
            "Samples refused because their time is outside what the store can hold.", Double(store.outOfBounds))
        text.metric(
            "ioc_store_samples_series_limit_total", "counter",
            "Samples refused because their series would be new beyond storage.max_series.",
            Double(store.overSeriesLimit))
        text.metric(
            "ioc_store_quarantined_records", "gauge",
            "Records set aside in the quarantine table at start because they could not be replayed.",
            Double(writer.quarantined.count))
        text.metric("ioc_store_commits_failed_total", "counter", "Commits that failed.", Double(store.failedCommits))
        text.metric("ioc_store_series", "gauge", "Series created since start.", Double(store.series))
        text.metric(
            "ioc_store_chunks_closed_total", "counter", "Hours of series closed into chunks.", Double(store.chunks))
        let memory = writer.memory
        text.header(
            "ioc_store_memory_bytes", "gauge",
            "Bytes the store holds in memory for readers: the open hours' chunks, the rings of recent samples, decoded chunks."
        )
        for (part, bytes) in [
            ("open_chunks", memory.openChunks), ("rings", memory.rings), ("decoded_chunks", memory.decodedChunks),
        ] {
            text.line(#"ioc_store_memory_bytes{part="\#(part)"} \#(bytes)"#)
        }
        var size: Int64 = 0
        for suffix in ["", "-wal"] {
            if let attributes = try? FileManager.default.attributesOfItem(atPath: writer.path + suffix),
                let bytes = attributes[.size] as? NSNumber
            {
                size += bytes.int64Value
            }
        }
        text.metric("ioc_store_size_bytes", "gauge", "Size of the store file and its WAL.", Double(size))
    }

    private static func rulesAndNotifications(
        _ text: inout MetricsText,
        _ statistics: (
            rules: RuleScheduler.Statistics?, notifications: NotificationService.Statistics?, groups: [RuleGroup]
        )
    ) {
        let (rules, notifications) = (statistics.rules, statistics.notifications)
        for (name, type, help, value) in [
            ("ioc_rule_evaluations_total", "counter", "Rule group evaluations.", Double(rules?.evaluations ?? 0)),
            (
                "ioc_rule_evaluation_failures_total", "counter", "Rules whose evaluation failed.",
                Double(rules?.failures ?? 0)
            ),
            ("ioc_rule_evaluation_seconds_total", "counter", "Time spent evaluating rules.", rules?.seconds ?? 0),
            ("ioc_notifications_sent_total", "counter", "Notifications delivered.", Double(notifications?.sent ?? 0)),
            (
                "ioc_notifications_failed_total", "counter", "Delivery attempts that failed (retried).",
                Double(notifications?.failed ?? 0)
            ),
            (
                "ioc_notifications_dropped_total", "counter", "Notifications dropped from a full queue.",
                Double(notifications?.dropped ?? 0)
            ),
            (
                "ioc_notification_queue_length", "gauge", "Notifications waiting for delivery.",
                Double(notifications?.queued ?? 0)
            ),
        ] {
            text.metric(name, type, help, value)
        }
    }

    /// Each group's last evaluation, as Prometheus' `prometheus_rule_group_*` metrics give it,
    /// labelled `rule_group="file;name"`.
    private static func ruleGroups(_ text: inout MetricsText, _ statuses: [RuleScheduler.GroupStatus]) {
        guard !statuses.isEmpty else { return }
        let labels = statuses.map { #"{rule_group=\#(PrometheusWire.json($0.file + ";" + $0.group))}"# }
        for (name, help, value) in [
            (
                "ioc_rule_group_last_duration_seconds", "How long the group's last evaluation took.",
                { (status: RuleScheduler.GroupStatus) in status.duration.inSeconds }
            ),
            (
                "ioc_rule_group_last_evaluation_timestamp_seconds", "When the group was last evaluated (0: not yet).",
                { Double($0.lastEvaluation) / 1000 }
            ),
            ("ioc_rule_group_rules", "Rules in the group.", { Double($0.ruleDurations.count) }),
        ] as [(String, String, (RuleScheduler.GroupStatus) -> Double)] {
            text.header(name, "gauge", help)
            for (status, label) in zip(statuses, labels) {
                text.line("\(name)\(label) \(PrometheusNumber.format(value(status)))")
            }
        }
    }

    private static func remoteWriting(_ text: inout MetricsText, _ remoteWriters: [RemoteWriter]) {
        if !remoteWriters.isEmpty {
            let now = Date().timeIntervalSince1970
            for (name, type, help) in [
                ("ioc_remote_write_samples_sent_total", "counter", "Samples the remote-write endpoint accepted."),
                ("ioc_remote_write_sends_failed_total", "counter", "Pushes that failed and were retried."),
                (
                    "ioc_remote_write_samples_dropped_total", "counter",
                    "Samples the endpoint refused or that were skipped."
                ),
                ("ioc_remote_write_bytes_sent_total", "counter", "Request bytes (snappy) the endpoint accepted."),
                ("ioc_remote_write_requests_total", "counter", "Requests the endpoint accepted."),
                (
                    "ioc_remote_write_highest_sent_timestamp_seconds", "gauge",
                    "The newest time the endpoint has received everything up to."
                ),
                ("ioc_remote_write_lag_seconds", "gauge", "How far behind the endpoint is."),
            ] {
                text.header(name, type, help)
                for remote in remoteWriters {
                    let statistics = remote.statistics
                    let value: Double
                    switch name {
                    case "ioc_remote_write_samples_sent_total": value = Double(statistics.samplesSent)
                    case "ioc_remote_write_sends_failed_total": value = Double(statistics.sendsFailed)
                    case "ioc_remote_write_samples_dropped_total": value = Double(statistics.samplesDropped)
                    case "ioc_remote_write_bytes_sent_total": value = Double(statistics.bytesSent)
                    case "ioc_remote_write_requests_total": value = Double(statistics.requests)
                    case "ioc_remote_write_highest_sent_timestamp_seconds":
                        value = Double(statistics.sentThrough) / 1000
                    default: value = max(0, now - Double(statistics.sentThrough) / 1000)
                    }
                    text.line("\(name){url=\"\(Labels.escape(remote.url))\"} \(PrometheusNumber.format(value))")
                }
            }
        }
    }
}

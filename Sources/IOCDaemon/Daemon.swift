import IOCAlert
import IOCCore
import IOCHTTP
import IOCProbe
public import IOCQuery
import IOCStore
public import Logging
import ServiceLifecycle
import Synchronization

/// Why the daemon stopped with a failure, and the exit status that says so to systemd and scripts.
public struct DaemonError: Error, CustomStringConvertible {
    public var description: String
    public var exitCode: Int32

    /// EX_CONFIG from sysexits.h: the configuration is wrong; restarting will not help.
    public static let configurationExitCode: Int32 = 78

    public init(_ description: String, exitCode: Int32) {
        self.description = description
        self.exitCode = exitCode
    }
}

/// `iocd`: loads the configuration, opens the store, probes and evaluates the rules until SIGTERM or
/// SIGINT, then lets the probes in flight and the rule evaluation finish and flushes the store before
/// returning.
public struct Daemon: Sendable {
    public var configPath: String
    public var logger: Logger
    /// The query engine of the API: its limits are `--query.timeout` and `--query.max-samples`.
    public var engine = Engine()

    public init(configPath: String, logger: Logger) {
        self.configPath = configPath
        self.logger = logger
    }

    public func run() async throws(DaemonError) {
        // Everything is read and checked before the store is touched.
        let configuration: Configuration
        do {
            configuration = try ConfigFiles.load(configPath)
        } catch {
            throw DaemonError("\(error)", exitCode: DaemonError.configurationExitCode)
        }
        let writer: SampleWriter
        do {
            let log = logger
            writer = try SampleWriter(
                path: configuration.daemon.storePath,
                retention: SampleWriter.Retention(
                    maxAge: configuration.daemon.retention, maxBytes: configuration.daemon.maxStoreBytes),
                maxSeries: configuration.daemon.maxSeries,
                onHealthChange: { error in
                    if let error {
                        log.error("cannot write the store; probing goes on, samples are dropped and counted: \(error)")
                    } else {
                        log.notice("the store is written again")
                    }
                },
                onSeriesLimit: { refused, samples in
                    log.warning(
                        "the store holds storage.max_series series; samples of new series are refused and counted",
                        metadata: [
                            "max_series": "\(configuration.daemon.maxSeries)", "refused_samples": "\(samples)",
                            "example": "\(NotificationPayload.escapedControls(refused.description))",
                        ])
                })
        } catch {
            throw DaemonError("cannot open the store: \(error)", exitCode: 1)
        }
        for record in writer.quarantined {
            logger.error(
                "a record of the store could not be replayed; it is kept in the store's quarantine table and iocd goes on",
                metadata: ["store": "\(writer.path)", "record": "\(record)"])
        }
        logger.info(
            "iocd started",
            metadata: [
                "config": "\(configPath)", "store": "\(writer.path)", "targets": "\(configuration.targets.count)",
                "probe_files": "\(configuration.probeFiles.count)",
                "rules": "\(configuration.ruleGroups.reduce(0) { $0 + $1.rules.count })",
            ])
        let client = HTTPClient(maxInFlight: configuration.daemon.maxProbesInFlight)
        let alerting = AlertingRuntime(writer: writer, client: client, logger: logger)
        do {
            try alerting.apply(configuration)
        } catch {
            throw DaemonError("cannot read the alert state from the store: \(error)", exitCode: 1)
        }
        let log = logger
        let systemd = SystemdNotifier()
        let health = TargetHealthLog(logger: logger)
        let series = ProbeSeriesWriter()
        let lateness = LatenessCounter()
        let admission = configuration.daemon.admission
        let probes = ProbeRuntime { targets in
            ProbeScheduler(targets: targets, prober: Prober(client: client, admission: admission)) {
                target, result, due in
                lateness.record(result.timestamp - due)
                let result = result.aligned(to: due)
                writer.append(series.samples(for: target, result))
                writer.record(metadata: result.feedMetadata)
                health.record(target, result)
            }
        }
        let hours = ServiceHoursWriter(
            calendar: configuration.daemon.serviceHours, interval: configuration.daemon.evaluationInterval,
            writer: writer)
        hours.start()
        let reload = ReloadService(configPath: configPath, logger: logger, systemd: systemd) { reloaded in
            do {
                hours.replace(reloaded.daemon.serviceHours)
                try alerting.apply(reloaded)
                await probes.replace(reloaded.targets)
                log.notice(
                    "configuration reloaded",
                    metadata: [
                        "targets": "\(reloaded.targets.count)",
                        "rules": "\(reloaded.ruleGroups.reduce(0) { $0 + $1.rules.count })",
                        "receivers": "\(reloaded.daemon.notifications.receivers.count)",
                    ])
            } catch {
                log.error("configuration reloaded but the alert state could not be read: \(error)")
            }
        }
        let remoteWriters = configuration.daemon.remoteWrite.map { target in
            RemoteWriter(
                url: target.url, timeout: target.timeout, bearerToken: target.bearerToken, writer: writer,
                client: client,
                logger: logger)
        }
        remoteWriters.forEach { $0.start() }
        var api: APIServer?
        if let listen = configuration.daemon.listen {
            let running = RunningRequests()
            let routes = PrometheusAPI(
                readers: ReaderPool { try writer.makeReader() }, engine: engine,
                metrics: {
                    SelfMetrics.text(
                        writer: writer, probes: series.statistics, skipped: probes.skippedBusy, lateness: lateness,
                        alerting: alerting, remoteWriters: remoteWriters, apiRequestsRunning: running.count)
                },
                rules: { alerting.statistics.groups }, ready: { true }, credentials: configuration.daemon.credentials,
                allowedHosts: PrometheusAPI.allowedHosts(listeningOn: listen.host))
            do {
                api = try await APIServer(host: listen.host, port: listen.port, running: running) { routes.handle($0) }
                logger.info(
                    "HTTP listener started", metadata: ["address": "\(listen.host):\(api?.port ?? listen.port)"])
            } catch {
                // Probing and alerting matter more than the API: go on without it, loudly.
                logger.error(
                    "cannot listen on \(listen.host):\(listen.port); /metrics and the API are off: \(error)")
            }
        }
        let watchdog = Watchdog(
            systemd: systemd, writer: writer, probes: { series.statistics.probes + series.statistics.scrapes },
            rules: { alerting.statistics.rules?.lastEvaluation }, hasTargets: !configuration.targets.isEmpty)
        watchdog.start()
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [ProbeService(runtime: probes, targets: configuration.targets), reload],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        systemd.notify("READY=1\nSTATUS=probing \(configuration.targets.count) targets")
        do {
            try await group.run()
        } catch {
            logger.error("stopping after an error: \(error)")
        }
        systemd.notify("STOPPING=1")
        watchdog.stop()
        hours.stop()
        remoteWriters.forEach { $0.stop() }
        await api?.stop()
        alerting.stop()
        client.shutdown()
        writer.close()
        let statistics = writer.statistics
        let probing = series.statistics
        logger.info(
            "iocd stopped",
            metadata: [
                "samples_written": "\(statistics.written)", "samples_dropped": "\(statistics.dropped)",
                "failed_commits": "\(statistics.failedCommits)",
                "probes": "\(probing.probes)", "probes_failed": "\(probing.probesFailed)",
                "scrapes": "\(probing.scrapes)",
                "scrapes_failed": "\(probing.scrapesFailed)",
                "probe_slots_skipped": "\(probes.skippedBusy)",
            ])
    }
}

/// Logs when a target changes between up and down (and its first result), and when the reasons
/// for which its feed's samples are refused change, not on every probe.
final class TargetHealthLog: Sendable {
    private let logger: Logger
    private let last = Mutex<[Labels: Bool]>([:])
    private let refusing = Mutex<[Labels: Set<SampleAdmission.Reason>]>([:])

    init(logger: Logger) { self.logger = logger }

    func record(_ target: ProbeTarget, _ result: ProbeResult) {
        recordRejections(target, result)
        let previous = last.withLock { states in
            defer { states[target.labels] = result.success }
            return states[target.labels]
        }
        guard previous != result.success else { return }
        if result.success {
            logger.info("target up", metadata: ["job": "\(target.job)", "instance": "\(target.instance)"])
        } else {
            logger.warning(
                "target down",
                metadata: [
                    "job": "\(target.job)", "instance": "\(target.instance)",
                    "reason": "\(result.failure?.reason ?? "unknown")", "detail": "\(result.failure?.message ?? "")",
                ])
        }
    }

    private func recordRejections(_ target: ProbeTarget, _ result: ProbeResult) {
        guard case .feed = target.kind else { return }
        let reasons = Set(result.rejectedSamples.keys)
        let changed = refusing.withLock { known in
            defer { known[target.labels] = reasons }
            return known[target.labels, default: []] != reasons
        }
        guard changed, !reasons.isEmpty else { return }
        logger.warning(
            "feed samples refused",
            metadata: [
                "job": "\(target.job)", "instance": "\(target.instance)",
                "refused":
                    "\(result.rejectedSamples.sorted { $0.key < $1.key }.map { "\($0.key.rawValue)=\($0.value)" }.joined(separator: " "))",
            ])
    }
}

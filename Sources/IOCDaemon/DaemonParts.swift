import IOCAlert
import IOCConfig
import IOCCore
import IOCHTTP
import IOCProbe
import IOCQuery
import IOCStore
import Logging
import ServiceLifecycle
import Synchronization

/// iocd's parts wired from one configuration and an open store, as the services of its one group,
/// in start order: the store's writer first (it closes last, after everything that writes to it
/// has stopped), then the HTTP client, the service-hours writer, rules and notifications, remote
/// write, probes, the listener and the watchdog; last, reloads on SIGHUP, which says READY=1 once
/// everything has started and STOPPING=1 when the group begins to stop.
struct DaemonParts {
    let configuration: Configuration
    let writer: SampleWriter
    let series = ProbeSeriesWriter()
    let lateness = LatenessCounter()
    let client: HTTPClient
    let alerting: AlertingRuntime
    let probes: ProbeRuntime
    let remoteWriters: [RemoteWriter]
    let hours: ServiceHoursWriter
    let reloads = ReloadStatus()
    let health: TargetHealthLog
    /// How far back probes and rules may still stamp samples: remote write sends only below it.
    let floors: SampleFloors

    init(configuration: Configuration, writer: SampleWriter, logger: Logger) {
        self.configuration = configuration
        self.writer = writer
        let daemon = configuration.daemon
        let client = HTTPClient(maxInFlight: daemon.maxProbesInFlight)
        self.client = client
        let floors = SampleFloors()
        self.floors = floors
        alerting = AlertingRuntime(
            configuration: configuration, writer: writer, client: client, floors: floors, logger: logger)
        hours = ServiceHoursWriter(calendar: daemon.serviceHours, interval: daemon.evaluationInterval, writer: writer)
        remoteWriters = daemon.remoteWrite.map { target in
            RemoteWriter(
                url: target.url, timeout: target.timeout, bearerToken: target.bearerToken, relabel: target.relabel,
                externalLabels: daemon.externalLabels, writer: writer, floors: floors, client: client,
                logger: logger)
        }
        let health = TargetHealthLog(logger: logger)
        self.health = health
        probes = DaemonParts.probeRuntime(
            writer: writer, client: client, admission: daemon.admission, series: series, lateness: lateness,
            health: health, floors: floors)
    }

    /// The services of iocd's group, in start order; the group stops them in reverse.
    func services(configPath: String, engine: Engine, logger: Logger) -> [ServiceGroupConfiguration
        .ServiceConfiguration]
    {
        let systemd = SystemdNotifier()
        let chain = PartService.chain(
            DaemonParts.ordered(self, engine: engine, systemd: systemd, logger: logger), logger: logger)
        let reload = ReloadService(
            configPath: configPath, logger: logger, systemd: systemd, after: chain.last?.gate,
            targets: configuration.targets.count,
            apply: DaemonParts.reloading(alerting: alerting, probes: probes, hours: hours, logger: logger),
            status: reloads)
        // A part that fails, or returns early because the one before it failed, stops the group in order.
        return (chain + [reload] as [any Service]).map { service in
            ServiceGroupConfiguration.ServiceConfiguration(
                service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup)
        }
    }

    /// The parts in start order.
    private static func ordered(
        _ parts: DaemonParts, engine: Engine, systemd: SystemdNotifier, logger: Logger
    ) -> [(String, any BackgroundWork)] {
        let (writer, client, probes, targets) = (parts.writer, parts.client, parts.probes, parts.configuration.targets)
        let series = parts.series
        let watchdog = Watchdog(
            systemd: systemd, writer: writer, probes: { series.statistics.probes + series.statistics.scrapes },
            rules: { [alerting = parts.alerting] in alerting.statistics.rules?.lastEvaluation },
            hasTargets: !targets.isEmpty)
        var ordered: [(String, any BackgroundWork)] = [
            ("store", WorkClosures(stop: { await writer.close() })),
            ("http client", WorkClosures(stop: { await client.shutdown() })),
            ("service hours", parts.hours),
            ("rules and notifications", parts.alerting),
        ]
        ordered += parts.remoteWriters.map { ("remote write to \($0.url)", $0) }
        ordered.append(
            ("probes", WorkClosures(start: { await probes.replace(targets) }, stop: { await probes.stop() })))
        if let listen = parts.configuration.daemon.listen {
            ordered.append(("HTTP listener", APIPart(parts, listen: listen, engine: engine, logger: logger)))
        }
        ordered.append(("watchdog", watchdog))
        return ordered
    }

    private static func probeRuntime(
        writer: SampleWriter, client: HTTPClient, admission: SampleAdmission, series: ProbeSeriesWriter,
        lateness: LatenessCounter, health: TargetHealthLog, floors: SampleFloors
    ) -> ProbeRuntime {
        ProbeRuntime { targets in
            health.expect(targets)
            return ProbeScheduler(
                targets: targets, prober: Prober(client: client, admission: admission), floors: floors
            ) {
                target, result, due in
                lateness.record(result.timestamp - due)
                let result = result.aligned(to: due)
                writer.append(series.samples(for: target, result))
                writer.record(metadata: result.feedMetadata)
                health.record(target, result)
            }
        }
    }

    /// What a reload does once the new configuration has been read and checked.
    private static func reloading(
        alerting: AlertingRuntime, probes: ProbeRuntime, hours: ServiceHoursWriter, logger: Logger
    ) -> @Sendable (Configuration) async -> Void {
        { reloaded in
            do {
                hours.replace(reloaded.daemon.serviceHours)
                try await alerting.apply(reloaded)
                await probes.replace(reloaded.targets)
                logger.notice(
                    "configuration reloaded",
                    metadata: [
                        "targets": "\(reloaded.targets.count)",
                        "rules": "\(reloaded.ruleGroups.reduce(0) { $0 + $1.rules.count })",
                        "receivers": "\(reloaded.daemon.notifications.receivers.count)",
                    ])
            } catch {
                logger.error("configuration reloaded but the alert state could not be read: \(error)")
            }
        }
    }

    /// What iocd did, for its last log line.
    var summary: Logger.Metadata {
        let statistics = writer.statistics
        let probing = series.statistics
        return [
            "samples_written": "\(statistics.written)", "samples_dropped": "\(statistics.dropped)",
            "failed_commits": "\(statistics.failedCommits)",
            "probes": "\(probing.probes)", "probes_failed": "\(probing.probesFailed)",
            "scrapes": "\(probing.scrapes)", "scrapes_failed": "\(probing.scrapesFailed)",
            "probe_slots_skipped": "\(probes.skippedBusy)",
        ]
    }
}

/// The HTTP listener as a part: /metrics, the Prometheus API and the alerting API. A listener that
/// cannot bind is logged and iocd goes on without it: probing and alerting matter more.
final class APIPart: BackgroundWork {
    private let host: String
    private let port: Int
    private let routes: PrometheusAPI
    private let running: RunningRequests
    private let logger: Logger
    private let server = Mutex<APIServer?>(nil)

    init(_ parts: DaemonParts, listen: (host: String, port: Int), engine: Engine, logger: Logger) {
        let running = RunningRequests()
        let (writer, series, probes, lateness) = (parts.writer, parts.series, parts.probes, parts.lateness)
        let (alerting, remoteWriters, reloads) = (parts.alerting, parts.remoteWriters, parts.reloads)
        routes = PrometheusAPI(
            readers: ReaderPool { try writer.makeReader(mapping: StoreReader.queryMapping) }, engine: engine,
            metrics: {
                SelfMetrics.text(
                    writer: writer, probes: series.statistics, skipped: probes.skippedBusy, lateness: lateness,
                    alerting: alerting, remoteWriters: remoteWriters, apiRequestsRunning: running.count,
                    reloads: reloads)
            },
            rules: {
                let statuses = alerting.groupStatuses
                return alerting.statistics.groups.map { group in
                    (group, statuses.first { $0.group == group.name && $0.file == group.file })
                }
            },
            ready: { true }, credentials: parts.configuration.daemon.credentials,
            allowedHosts: PrometheusAPI.allowedHosts(listeningOn: listen.host),
            status: StatusAPI { [health = parts.health] in probes.targets.map { ($0, health.lastProbe($0.labels)) } },
            alertmanager: AlertmanagerAPI(
                readers: ReaderPool { try writer.makeReader() }, storePath: writer.path,
                notifications: { alerting.notifications }, clock: { WallClock.nowMilliseconds() }))
        (host, port) = listen
        self.running = running
        self.logger = logger
    }

    func start() async {
        do {
            let routes = routes
            let started = try await APIServer(host: host, port: port, running: running) { routes.handle($0) }
            server.withLock { $0 = started }
            logger.info("HTTP listener started", metadata: ["address": "\(host):\(started.port)"])
        } catch {
            logger.error("cannot listen on \(host):\(port); /metrics and the API are off: \(error)")
        }
    }

    func stop() async { await server.withLock { $0 }?.stop() }
}

import Foundation
import IOCAlert
import IOCClient
import IOCConfig
import IOCCore
import IOCHTTP
import IOCQuery
import IOCStore
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The rule scheduler and the notifier of the running configuration, replaced as a whole when the
/// configuration is reloaded. Alert states, what was sent and what waits to be sent are in the
/// store, flushed between the old pair stopping and the new one starting, so a reload loses none.
final class AlertingRuntime: BackgroundWork {
    private struct Running {
        var rules: RuleScheduler?
        var notifier: NotificationService?
        var groups: [RuleGroup] = []
        var notifications = NotifierConfig.none
    }

    private let initial: Configuration
    private let writer: SampleWriter
    private let client: HTTPClient
    private let floors: SampleFloors
    private let logger: Logger
    private let running = Mutex(Running())

    init(
        configuration: Configuration, writer: SampleWriter, client: HTTPClient, floors: SampleFloors = SampleFloors(),
        logger: Logger
    ) {
        initial = configuration
        self.floors = floors
        self.writer = writer
        self.client = client
        self.logger = logger
    }

    /// Starts the rules and notifications of the configuration iocd started with.
    func start() async throws {
        do {
            try await apply(initial)
        } catch {
            throw DaemonError("cannot read the alert state from the store: \(error)", exitCode: 1)
        }
    }

    /// Stops what runs and starts `configuration`'s rules and notifications.
    func apply(_ configuration: Configuration) async throws(StoreError) {
        await stop()
        await writer.flush()
        let daemon = configuration.daemon
        var notifier: NotificationService?
        if !daemon.notifications.isEmpty {
            let service = NotificationService(
                config: daemon.notifications, writer: writer,
                delivery: NotificationDelivery(client: client, externalURL: daemon.externalURL), logger: logger)
            // It reads what was sent and what waits from the store: SQLite, off the cooperative pool.
            do {
                try await BackgroundThread.run("ioc-notifier-start") { try service.start() }
            } catch let error as StoreError {
                throw error
            } catch {
                preconditionFailure("NotificationService.start throws only StoreError: \(error)")
            }
            notifier = service
        }
        var rules: RuleScheduler?
        let notifying = notifier
        if !configuration.ruleGroups.isEmpty {
            // A national centre's rules read its engine (VictoriaMetrics) through the query API.
            let api = daemon.ruleSource.map { source in
                (
                    RemoteQuery(
                        base: source.url, client: client, timeout: source.timeout, bearerToken: source.bearerToken),
                    source.engine
                )
            }
            let remote: (@Sendable (Query, Int64) throws -> QueryValue)? = api.flatMap { api, engine in
                guard engine == .remote else { return nil }
                return { query, time in try api.instant(query.text, at: time) }
            }
            let samples = api.flatMap { api, engine in
                engine == .ioc ? RemoteSeriesSource(remote: api, externalLabels: daemon.externalLabels) : nil
            }
            let scheduler = RuleScheduler(
                groups: configuration.ruleGroups, defaultInterval: daemon.evaluationInterval, writer: writer,
                context: RuleContext(externalLabels: daemon.externalLabels, externalURL: daemon.externalURL),
                logger: logger, source: samples, remote: remote, floors: floors,
                onAlerts: { alerts, time in notifying?.update(alerts, at: time) })
            scheduler.start()
            rules = scheduler
        }
        // Each group with the interval it runs at, its own or the configured default, as the API lists it.
        let groups = configuration.ruleGroups.map { group in
            var group = group
            group.interval = group.interval ?? daemon.evaluationInterval
            return group
        }
        running.withLock {
            $0 = Running(rules: rules, notifier: notifier, groups: groups, notifications: daemon.notifications)
        }
    }

    /// The running scheduler's and notifier's counters, for /metrics.
    var statistics:
        (rules: RuleScheduler.Statistics?, notifications: NotificationService.Statistics?, groups: [RuleGroup])
    {
        running.withLock { running in
            (running.rules?.statistics, running.notifier?.statistics, running.groups)
        }
    }

    /// The running configuration's notifications (routes, receivers, inhibition), for the API.
    var notifications: NotifierConfig { running.withLock { $0.notifications } }

    /// Each rule group's last evaluation, for `/api/v1/rules` and /metrics.
    var groupStatuses: [RuleScheduler.GroupStatus] { running.withLock { $0.rules?.groupStatuses ?? [] } }

    /// Stops the rules after the evaluation in progress, then the notifier after the delivery in
    /// progress; what waits to be sent stays queued in the store.
    func stop() async {
        let current = running.withLock { running in
            defer { running = Running() }
            return running
        }
        await current.rules?.stop()
        await current.notifier?.stop()
    }
}

/// Re-reads the configuration on SIGHUP: all of it is read and checked first; a file with an error
/// is logged with its file and line and the running configuration stays.
/// Last in iocd's start order: says READY=1 to systemd once every part before it has started,
/// and STOPPING=1 when the group begins to stop (it is the first to be stopped).
/// Whether the last reload of the configuration took and when one last did (the start counts as one),
/// as Prometheus' `prometheus_config_last_reload_successful` and `..._success_timestamp_seconds`.
final class ReloadStatus: Sendable {
    private let state = Mutex((successful: true, lastSuccess: Date().timeIntervalSince1970))

    var successful: Bool { state.withLock { $0.successful } }
    var lastSuccess: Double { state.withLock { $0.lastSuccess } }

    func record(success: Bool) {
        state.withLock {
            $0.successful = success
            if success { $0.lastSuccess = Date().timeIntervalSince1970 }
        }
    }
}

struct ReloadService: Service, CustomStringConvertible {
    let configPath: String
    let logger: Logger
    let systemd: SystemdNotifier
    let after: StartGate?
    /// How many targets the configuration iocd started with has, for systemd's status line.
    let targets: Int
    let apply: @Sendable (Configuration) async -> Void
    /// Whether the last reload took, for /metrics.
    let status: ReloadStatus

    var description: String { "reload" }

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        guard await after?.passed() ?? true else { return }
        systemd.notify("READY=1\nSTATUS=probing \(targets) targets")
        defer {
            systemd.notify("STOPPING=1")
            logger.info("iocd stopping: the parts stop in the reverse of their start order")
        }
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                systemd.reloading()
                do {
                    let path = configPath
                    let configuration = try await BackgroundThread.run("ioc-config") { try ConfigFiles.load(path) }
                    await apply(configuration)
                    status.record(success: true)
                    systemd.notify("READY=1\nSTATUS=probing \(configuration.targets.count) targets")
                } catch {
                    status.record(success: false)
                    logger.error("configuration not reloaded; the running one stays: \(error)")
                    systemd.notify("READY=1\nSTATUS=configuration not reloaded: \(error)")
                }
            }
        }
    }
}

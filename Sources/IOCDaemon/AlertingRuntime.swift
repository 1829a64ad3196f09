import IOCAlert
import IOCHTTP
import IOCStore
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The rule scheduler and the notifier of the running configuration, replaced as a whole when the
/// configuration is reloaded. Alert states, what was sent and what waits to be sent are in the
/// store, flushed between the old pair stopping and the new one starting, so a reload loses none.
final class AlertingRuntime: Sendable {
    private struct Running {
        var rules: RuleScheduler?
        var notifier: NotificationService?
        var groups: [RuleGroup] = []
    }

    private let writer: SampleWriter
    private let client: HTTPClient
    private let logger: Logger
    private let running = Mutex(Running())

    init(writer: SampleWriter, client: HTTPClient, logger: Logger) {
        self.writer = writer
        self.client = client
        self.logger = logger
    }

    /// Stops what runs and starts `configuration`'s rules and notifications.
    func apply(_ configuration: Configuration) throws(StoreError) {
        stop()
        writer.flush()
        let daemon = configuration.daemon
        var notifier: NotificationService?
        if !daemon.notifications.isEmpty {
            let service = NotificationService(
                config: daemon.notifications, writer: writer,
                delivery: NotificationDelivery(client: client, externalURL: daemon.externalURL), logger: logger)
            try service.start()
            notifier = service
        }
        var rules: RuleScheduler?
        let notifying = notifier
        if !configuration.ruleGroups.isEmpty {
            let scheduler = RuleScheduler(
                groups: configuration.ruleGroups, defaultInterval: daemon.evaluationInterval, writer: writer,
                context: RuleContext(externalLabels: daemon.externalLabels, externalURL: daemon.externalURL),
                logger: logger,
                onAlerts: { alerts, time in notifying?.update(alerts, at: time) })
            scheduler.start()
            rules = scheduler
        }
        running.withLock { $0 = Running(rules: rules, notifier: notifier, groups: configuration.ruleGroups) }
    }

    /// The running scheduler's and notifier's counters, for /metrics.
    var statistics:
        (rules: RuleScheduler.Statistics?, notifications: NotificationService.Statistics?, groups: [RuleGroup])
    {
        running.withLock { running in
            (running.rules?.statistics, running.notifier?.statistics, running.groups)
        }
    }

    func stop() {
        let current = running.withLock { running in
            defer { running = Running() }
            return running
        }
        current.rules?.shutdown()
        current.notifier?.shutdown()
    }
}

/// Re-reads the configuration on SIGHUP: all of it is read and checked first; a file with an error
/// is logged with its file and line and the running configuration stays.
struct ReloadService: Service {
    let configPath: String
    let logger: Logger
    let systemd: SystemdNotifier
    let apply: @Sendable (Configuration) async -> Void

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                systemd.reloading()
                do {
                    let configuration = try ConfigFiles.load(configPath)
                    await apply(configuration)
                    systemd.notify("READY=1\nSTATUS=probing \(configuration.targets.count) targets")
                } catch {
                    logger.error("configuration not reloaded; the running one stays: \(error)")
                    systemd.notify("READY=1\nSTATUS=configuration not reloaded: \(error)")
                }
            }
        }
    }
}

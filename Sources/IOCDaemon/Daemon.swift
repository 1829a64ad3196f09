import IOCAlert
import IOCConfig
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
    public static let configurationExitCode = ConfigError.exitCode

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
            let path = configPath
            configuration = try await BackgroundThread.run("ioc-config") { try ConfigFiles.load(path) }
        } catch {
            throw DaemonError("\(error)", exitCode: DaemonError.configurationExitCode)
        }
        let writer = try await openStore(configuration.daemon)
        logger.info(
            "iocd started",
            metadata: [
                "config": "\(configPath)", "store": "\(writer.path)", "targets": "\(configuration.targets.count)",
                "probe_files": "\(configuration.probeFiles.count)",
                "rules": "\(configuration.ruleGroups.reduce(0) { $0 + $1.rules.count })",
            ])
        let parts = DaemonParts(configuration: configuration, writer: writer, logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: parts.services(configPath: configPath, engine: engine, logger: logger),
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        var failure: (any Error)?
        do {
            try await group.run()
        } catch {
            failure = error
            logger.error("stopped after an error: \(error)")
        }
        // After a failure too: every part has stopped and the store is closed by now.
        await writer.close()
        logger.info("iocd stopped", metadata: parts.summary)
        if let failure { throw (failure as? DaemonError) ?? DaemonError("\(failure)", exitCode: 1) }
    }

    /// Opens the store for writing (on a thread of its own: SQLite blocks); a failure is exit status
    /// 1. What could not be replayed is logged.
    private func openStore(_ daemon: DaemonConfig) async throws(DaemonError) -> SampleWriter {
        let writer: SampleWriter
        do {
            let log = logger
            writer = try await BackgroundThread.run("ioc-store-open") {
                try SampleWriter(
                    path: daemon.storePath,
                    retention: SampleWriter.Retention(maxAge: daemon.retention, maxBytes: daemon.maxStoreBytes),
                    maxSeries: daemon.maxSeries,
                    onHealthChange: { error in
                        if let error {
                            log.error(
                                "cannot write the store; probing goes on, samples are dropped and counted: \(error)")
                        } else {
                            log.notice("the store is written again")
                        }
                    },
                    onSeriesLimit: { refused, samples in
                        log.warning(
                            "the store holds storage.max_series series; samples of new series are refused and counted",
                            metadata: [
                                "max_series": "\(daemon.maxSeries)", "refused_samples": "\(samples)",
                                "example": "\(NotificationPayload.escapedControls(refused.description))",
                            ])
                    },
                    onQueueFull: { dropped in
                        log.warning(
                            "the store's writer falls behind: its queue is full, samples are dropped and counted",
                            metadata: ["queue": "\(SampleWriter.defaultCapacity)", "dropped_samples": "\(dropped)"])
                    })
            }
        } catch {
            throw DaemonError("cannot open the store: \(error)", exitCode: 1)
        }
        for record in writer.quarantined {
            logger.error(
                "a record of the store could not be replayed; it is kept in the store's quarantine table and iocd goes on",
                metadata: ["store": "\(writer.path)", "record": "\(record)"])
        }
        return writer
    }
}

/// Logs when a target changes between up and down (and its first result), and when the reasons
/// for which its feed's samples are refused change, not on every probe; keeps each target's last
/// probe for `/api/v1/targets`.
final class TargetHealthLog: Sendable {
    /// A target's last probe: when it began (ms), how long it took, and why it failed.
    struct LastProbe: Sendable {
        var success: Bool
        var time: Int64
        var duration: Double
        var failure: ProbeFailure?

        /// As Prometheus' `lastError`: empty when it succeeded.
        var error: String { failure.map { "\($0.reason): \($0.message)" } ?? "" }
    }

    /// The targets whose first probe is awaited, and how those probed so far fared.
    private struct FirstRound {
        var awaiting: Set<Labels> = []
        var up = 0
        var down = 0
        /// Failed first probes logged on their own (each with its reason), up to `downLogged`.
        var downLogged = 0
    }

    /// The most failed first probes of a round logged one by one: enough to say why a few
    /// targets are down, not 5,000 lines when the network is.
    static let downLogged = 20

    private let logger: Logger
    private let last = Mutex<[Labels: LastProbe]>([:])
    private let refusing = Mutex<[Labels: Set<SampleAdmission.Reason>]>([:])
    private let firstRound = Mutex(FirstRound())

    init(logger: Logger) { self.logger = logger }

    /// The targets now probed (at start and at each reload): the first probe of each new one is
    /// not logged on its own; one line says how the round of them went, once all have had theirs.
    /// Targets no longer probed are forgotten.
    func expect(_ targets: [ProbeTarget]) {
        let current = Set(targets.map(\.labels))
        let known = last.withLock { last in
            last = last.filter { current.contains($0.key) }
            return Set(last.keys)
        }
        refusing.withLock { $0 = $0.filter { current.contains($0.key) } }
        firstRound.withLock { $0 = FirstRound(awaiting: current.subtracting(known)) }
    }

    /// The last probe of the target with `labels`, if it has had one.
    func lastProbe(_ labels: Labels) -> LastProbe? { last.withLock { $0[labels] } }

    func record(_ target: ProbeTarget, _ result: ProbeResult) {
        recordRejections(target, result)
        let probe = LastProbe(
            success: result.success, time: result.timestamp, duration: result.durationSeconds,
            failure: result.failure)
        let previous = last.withLock { states in
            defer { states[target.labels] = probe }
            return states[target.labels]?.success
        }
        if previous == nil, recordFirst(target, result) { return }
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

    /// Counts a target's first probe into the round and logs the round's one line when it is
    /// complete. True when the probe needs no line of its own: a success, or a failure past the
    /// first `downLogged` of the round.
    private func recordFirst(_ target: ProbeTarget, _ result: ProbeResult) -> Bool {
        let (quiet, finished) = firstRound.withLock { round -> (Bool, FirstRound?) in
            guard round.awaiting.remove(target.labels) != nil else { return (false, nil) }
            var quiet = true
            if result.success {
                round.up += 1
            } else {
                round.down += 1
                if round.downLogged < TargetHealthLog.downLogged {
                    round.downLogged += 1
                    quiet = false
                }
            }
            return (quiet, round.awaiting.isEmpty ? round : nil)
        }
        if let finished {
            var metadata: Logger.Metadata = ["up": "\(finished.up)", "down": "\(finished.down)"]
            if finished.down > finished.downLogged {
                metadata["down_not_logged"] = "\(finished.down - finished.downLogged)"
            }
            logger.info("every target probed once", metadata: metadata)
        }
        return quiet
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

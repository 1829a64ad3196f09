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
        var error: String?
    }

    private let logger: Logger
    private let last = Mutex<[Labels: LastProbe]>([:])
    private let refusing = Mutex<[Labels: Set<SampleAdmission.Reason>]>([:])

    init(logger: Logger) { self.logger = logger }

    /// The last probe of the target with `labels`, if it has had one.
    func lastProbe(_ labels: Labels) -> LastProbe? { last.withLock { $0[labels] } }

    func record(_ target: ProbeTarget, _ result: ProbeResult) {
        recordRejections(target, result)
        let probe = LastProbe(
            success: result.success, time: result.timestamp, duration: result.durationSeconds,
            error: result.failure.map { "\($0.reason): \($0.message)" })
        let previous = last.withLock { states in
            defer { states[target.labels] = probe }
            return states[target.labels]?.success
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

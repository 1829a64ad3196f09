import ArgumentParser
import Foundation
import IOCCore
import IOCConfig
import IOCDaemon
import IOCQuery
import Logging

struct IOCD: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iocd",
        abstract: "The IOC monitoring daemon: probes public-service endpoints and stores the results as time series.",
        discussion: """
            Reads iocd.yaml and the probe files it names, checks all of them, then probes every target on \
            its interval and writes the results to the SQLite store. SIGTERM or SIGINT stops it cleanly. \
            A configuration error is reported as file:line:column and exits with status 78 without touching \
            the store.
            """,
        version: IOCVersion.report(program: "iocd"))

    @Option(
        name: .shortAndLong, help: "The daemon's configuration file; without it $IOC_CONFIG, else /etc/iocd/iocd.yaml.")
    var config = DaemonConfig.defaultPath

    @Option(
        name: [.customLong("log.level"), .customLong("log-level")],
        help: "Lowest level to log: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Option(
        name: .customLong("log.format"),
        help: """
            How log lines are written: logfmt (key=value, as Prometheus writes them) or json. Under \
            journald each line starts with its priority; on a terminal the level is coloured unless \
            NO_COLOR is set.
            """)
    var logFormat = "logfmt"

    @Option(
        name: .customLong("query.timeout"),
        help: "How long a query of the API may run before it ends with a timeout error (Prometheus' default: 2m).")
    var queryTimeout = "2m"

    @Option(
        name: .customLong("query.max-samples"),
        help: """
            The most samples a query of the API may load or hold at once. At 16 bytes a sample, the \
            default keeps one query near 350 MB, within the unit's MemoryHigh with room for another \
            (Prometheus' default is 50000000).
            """)
    var queryMaxSamples = 20_000_000

    func validate() throws {
        guard let timeout = Duration(prometheus: queryTimeout), timeout > .zero else {
            throw ValidationError("--query.timeout '\(queryTimeout)': expected a duration such as 30s or 2m")
        }
        _ = timeout
        guard queryMaxSamples > 0 else { throw ValidationError("--query.max-samples must be positive") }
        guard DaemonLogHandler.Format(rawValue: logFormat) != nil else {
            throw ValidationError("--log.format '\(logFormat)': use logfmt or json")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError(
                "'\(logLevel)' is not a log level; use trace, debug, info, notice, warning, error or critical")
        }
    }

    func run() async throws {
        ProcessMemory.keepFreedMemoryForReuse()
        // Writing to a hook or socket that closed is an error to handle (EPIPE), not the daemon's end.
        signal(SIGPIPE, SIG_IGN)
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let format = DaemonLogHandler.Format(rawValue: logFormat) ?? .logfmt
        LoggingSystem.bootstrap { label in DaemonLogHandler(label: label, level: level, format: format) }
        let logger = Logger(label: "iocd")
        do {
            var daemon = Daemon(configPath: config, logger: logger)
            daemon.engine.timeout = Duration(prometheus: queryTimeout) ?? .seconds(120)
            daemon.engine.maxSamples = queryMaxSamples
            try await daemon.run()
        } catch {
            logger.critical("\(error.description)")
            throw ExitCode(error.exitCode)
        }
    }
}

import ArgumentParser
import Foundation
import IOCCore
import IOCDaemon
import Logging

@main
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
        version: IOCVersion.current)

    @Option(name: .shortAndLong, help: "The daemon's configuration file.")
    var config = DaemonConfig.defaultPath

    @Option(help: "Lowest level to log: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
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
        LoggingSystem.bootstrap { label in DaemonLogHandler(label: label, level: level) }
        let logger = Logger(label: "iocd")
        do {
            try await Daemon(configPath: config, logger: logger).run()
        } catch {
            logger.critical("\(error.description)")
            throw ExitCode(error.exitCode)
        }
    }
}

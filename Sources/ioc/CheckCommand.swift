import ArgumentParser
import Foundation
import IOCDaemon

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check iocd.yaml and the probe, rule and dashboard files it names, without starting anything.",
        discussion: "Exits 0 when the configuration would load; otherwise prints file:line:column and what is wrong.")

    @Option(name: .shortAndLong, help: "The daemon's configuration file.")
    var config = DaemonConfig.defaultPath

    func run() throws {
        do {
            let configuration = try ConfigFiles.load(config)
            let files = configuration.probeFiles.count
            let rules = configuration.ruleGroups.reduce(0) { $0 + $1.rules.count }
            let ruleFiles = configuration.ruleFiles.count
            print(
                "\(config): ok: \(configuration.targets.count) targets in \(files) probe file\(files == 1 ? "" : "s"), "
                    + "\(rules) rules in \(ruleFiles) rule file\(ruleFiles == 1 ? "" : "s"), "
                    + "\(configuration.dashboards.count) dashboard\(configuration.dashboards.count == 1 ? "" : "s"); "
                    + "store \(configuration.daemon.storePath)")
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(DaemonError.configurationExitCode)
        }
    }
}

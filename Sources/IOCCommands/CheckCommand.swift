import ArgumentParser
import Foundation
import IOCConfig
import IOCCore
import IOCDashboard

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: Message(
            vi: "Kiểm tra iocd.yaml cùng các tệp đo, tệp luật và tệp bảng điều khiển mà nó nêu, không khởi động gì.",
            en: "Check iocd.yaml and the probe, rule and dashboard files it names, without starting anything."
        ).spoken,
        discussion: Message(
            vi: """
                Thoát với mã 0 khi cấu hình nạp được; nếu không thì in file:dòng:cột và lỗi rồi thoát với mã 78. \
                iocd không bao giờ đọc tệp bảng điều khiển: với --daemon (ExecStartPre của unit), lỗi trong tệp đó \
                chỉ in thành cảnh báo và không ngăn iocd khởi động.
                """,
            en: """
                Exits 0 when the configuration would load; otherwise prints file:line:column and what is wrong \
                and exits 78. iocd never reads dashboard files: with --daemon (the unit's ExecStartPre), a problem \
                in one is printed as a warning and does not stop iocd from starting.
                """
        ).spoken)

    @Option(
        name: .shortAndLong,
        help: .says(
            vi: "Tệp cấu hình của iocd; nếu không có thì $IOC_CONFIG, nếu không nữa thì /etc/iocd/iocd.yaml.",
            en: "The daemon's configuration file; without it $IOC_CONFIG, else /etc/iocd/iocd.yaml."))
    var config = DaemonConfig.defaultPath

    @Flag(
        help: .says(
            vi: "Chỉ kiểm tra những gì iocd đọc; lỗi trong tệp bảng điều khiển chỉ báo là cảnh báo.",
            en: "Check what iocd reads; report problems in dashboard files as warnings only."))
    var daemon = false

    @Option(
        name: .shortAndLong,
        help: .says(
            vi: "Cách báo kết quả: text, hoặc json (một đối tượng: ok, các số đếm, cảnh báo, và lỗi nếu có).",
            en: "How to report: text, or json (one object: ok, the counts, warnings, and the error if any)."))
    var output: OutputFormat = .text

    func run() throws {
        var warnings: [String] = []
        func fail(_ error: String) throws -> Never {
            if output == .json {
                print(OutputFormat.line(["config": config, "ok": false, "error": error, "warnings": warnings]))
            } else {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
            }
            throw ExitCode(ConfigError.exitCode)
        }
        let configuration: Configuration
        do {
            configuration = try ConfigFiles.load(config)
        } catch {
            try fail("\(error)")
        }
        // A province that is not one of the 34 units still probes, but its series fall outside every
        // provincial view and ranking: a warning, with the unit it most likely means.
        for target in configuration.targets {
            guard let province = target.labels["province"], let problem = ProvinceCatalogue.problem(withName: province)
            else { continue }
            warnings.append("\(target.location): warning: \(problem)")
        }
        var dashboards = 0
        do {
            dashboards = try DashboardFile.loadAll(ConfigFiles.dashboardPaths(configuration.daemon)).count
        } catch {
            if !daemon { try fail("\(error)") }
            warnings.append("warning: \(error)")
        }
        let files = configuration.probeFiles.count
        let rules = configuration.ruleGroups.reduce(0) { $0 + $1.rules.count }
        let ruleFiles = configuration.ruleFiles.count
        if output == .json {
            print(
                OutputFormat.line([
                    "config": config, "ok": true, "targets": configuration.targets.count, "probe_files": files,
                    "rules": rules, "rule_files": ruleFiles, "dashboards": dashboards,
                    "store": configuration.daemon.storePath, "warnings": warnings,
                ]))
            return
        }
        for warning in warnings { FileHandle.standardError.write(Data("\(warning)\n".utf8)) }
        let language = Language.resolve(
            environment: ProcessInfo.processInfo.environment, configured: configuration.daemon.language)
        // English counts its nouns; Vietnamese nouns do not change with the number.
        func counted(_ count: Int, _ noun: String) -> String {
            language == .en ? "\(count) \(noun)\(count == 1 ? "" : "s")" : "\(count)"
        }
        print(
            language.localized(
                "check.ok",
                [
                    "config": config, "targets": "\(configuration.targets.count)",
                    "files": counted(files, "probe file"),
                    "rules": "\(rules)", "ruleFiles": counted(ruleFiles, "rule file"),
                    "dashboards": counted(dashboards, "dashboard"), "store": configuration.daemon.storePath,
                ]))
    }
}

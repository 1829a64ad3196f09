public import ArgumentParser
import Foundation
import IOCConfig
import IOCCore

/// The operator's command line; `ioc` runs it, and so does `iocd` run under the name `ioc`.
public struct IOC: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "ioc",
        abstract: Message(
            vi: "Dòng lệnh của cán bộ trực cho IOC, dịch vụ Trung tâm giám sát, điều hành thông minh.",
            en: "The operator's command line for IOC, the Intelligent Operations Centre daemon."
        ).spoken,
        version: IOCVersion.report(program: "ioc"),
        subcommands: [
            DashboardCommand.self, QueryCommand.self, LabelsCommand.self, ProbeCommand.self, CheckCommand.self,
            RulesCommand.self, AlertsCommand.self, SilenceCommand.self,
            ExportCommand.self,
            ImportCommand.self, SimulateCommand.self, ReportCommand.self, RelabelProvincesCommand.self,
        ])
}

/// Which store file to read: the same rule for every command that reads or writes the store.
extension Language {
    /// $IOC_LANG, else the locale, else Vietnamese: for a command that reads no iocd.yaml.
    static var ofCommand: Language { resolve(environment: ProcessInfo.processInfo.environment, configured: nil) }
}

extension Message {
    /// The text in the language `ioc` speaks: for its help, printed before any configuration is read.
    var spoken: String { text(Language.ofCommand) }
}

extension ArgumentHelp {
    /// An argument's help in the language `ioc` speaks; the flag's name and values stay as they are.
    static func says(vi: String, en: String, valueName: String? = nil) -> ArgumentHelp {
        ArgumentHelp(Message(vi: vi, en: en).spoken, valueName: valueName)
    }
}

extension ValidationError {
    /// One of `ioc`'s own complaints about its arguments, in the language it speaks.
    static func say(_ key: String, _ values: [String: String] = [:]) -> ValidationError {
        ValidationError(Language.ofCommand.localized(key, values))
    }
}

struct StoreOptions: ParsableArguments {
    @Option(
        help: .says(
            vi:
                "Tệp kho dữ liệu. Mặc định: $IOC_DB, nếu không thì kho của --config, nếu không nữa thì /var/lib/iocd/ioc.db.",
            en: "The store file. Default: $IOC_DB, else the store of --config, else /var/lib/iocd/ioc.db."))
    var db: String?

    @Option(
        help: .says(
            vi: "Cấu hình của iocd, dùng để tìm kho dữ liệu khi không có --db và $IOC_DB.",
            en: "The daemon's configuration, used to find the store when --db and $IOC_DB are not set."))
    var config: String?

    @Flag(
        help: .says(
            vi: "Hiển thị thời gian theo UTC thay cho time_zone của iocd.yaml (mặc định Asia/Ho_Chi_Minh, UTC+7).",
            en: "Show times in UTC instead of iocd.yaml's time_zone (default Asia/Ho_Chi_Minh, UTC+7)."))
    var utc = false

    /// The store these options name.
    var path: String { StoreLocation.resolve(db: db, config: config) }

    /// The language `ioc` speaks: $IOC_LANG, the locale, iocd.yaml's `language`, Vietnamese.
    var language: Language {
        Language.resolve(
            environment: ProcessInfo.processInfo.environment,
            configured: StoreLocation.daemonConfig(config)?.language)
    }

    /// Sets the one display time zone of the command: UTC with --utc, else iocd.yaml's `time_zone`.
    /// A configuration named with --config must load: its store and time zone are taken from it.
    func validate() throws {
        if let config {
            do {
                _ = try DaemonConfig(from: try ConfigFiles.parse(config), file: config)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        DisplayZone.current = utc ? .utc : StoreLocation.displayZone(config: config)
    }
}

/// Writes `text` to a temporary file beside `path` and renames it into place, so that a watcher
/// (iocd reading probe files) or a reader never sees half a file.
func writeWhole(_ text: String, to path: String) throws {
    let temporary = path + ".tmp"
    try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
    guard rename(temporary, path) == 0 else {
        throw ValidationError.say("cmd.cannot_write", ["path": path, "reason": String(cString: strerror(errno))])
    }
}

/// `-o text|json`: tables and lines for people, JSON for scripts.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json

    /// A `--source` must be an HTTP(S) address.
    static func checkSource(_ source: String) throws {
        guard source.hasPrefix("http://") || source.hasPrefix("https://") else {
            throw ValidationError.say("cmd.bad_source", ["value": source])
        }
    }

    /// One JSON value as a line: keys sorted, so that a script and a diff see the same text.
    static func line(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
        else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }
}

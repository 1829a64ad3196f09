import ArgumentParser
import Foundation
import IOCCore
import IOCAlert
import IOCConfig
import IOCHTTP
import IOCDashboard
import IOCClient

struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Show the dashboards (dashboards/*.yaml) live in the terminal.",
        discussion: """
            Dashboards come from --dashboards, else from the dashboard_files of iocd.yaml (default \
            dashboards/*.yaml beside it); without any, a built-in list of every probed target. \
            Keys: arrows or hjkl move, Tab switches dashboards, Enter drills down, / filters, t changes the time \
            range, v switches a dashboard's variable (the province), z zooms a panel, p pauses, ? helps, q or \
            Ctrl-C quits, Ctrl-L redraws, Ctrl-Z suspends. NO_COLOR turns colours off.
            """)

    @OptionGroup var store: StoreOptions

    @Option(help: "Print one frame of this size (e.g. 100x30) as plain text and exit.")
    var snapshot: String?

    @Flag(help: "With --snapshot: keep the colours (SGR escape sequences).")
    var ansi = false

    @Option(help: "The dashboard to show (its name), e.g. overview.")
    var dashboard: String?

    @Option(help: "Dashboard files, as a glob pattern (quote it), e.g. 'dashboards/*.yaml'.")
    var dashboards: String?

    @Option(help: "Read from this Prometheus-compatible API (another iocd, a central Prometheus) instead of the store.")
    var source: String?

    @Option(
        help: ArgumentHelp(
            "Read the alerts from this iocd or Prometheus instead of --source (VictoriaMetrics keeps none: a national "
                + "centre's are its national iocd's).", valueName: "url"))
    var alertsSource: String?

    @Option(help: "How often the screen refreshes, as a duration (e.g. 1s, 500ms).")
    var refresh = "1s"

    @Option(
        name: .customLong("var"),
        help: ArgumentHelp("A dashboard variable's value to start with, e.g. province=Huế.", valueName: "name=value"))
    var variables: [String] = []

    func validate() throws {
        for variable in variables where !variable.contains("=") {
            throw ValidationError.say("cmd.dashboard.bad_var", ["value": variable])
        }
        if let snapshot, Self.size(snapshot) == nil {
            throw ValidationError.say("cmd.dashboard.bad_size", ["value": snapshot])
        }
        guard let duration = Duration(prometheus: refresh), duration >= .milliseconds(100) else {
            throw ValidationError.say("cmd.dashboard.bad_refresh", ["value": refresh])
        }
    }

    static func size(_ text: String) -> (Int, Int)? {
        let parts = text.lowercased().split(separator: "x")
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]),
            (20...1000).contains(width), (5...500).contains(height)
        else { return nil }
        return (width, height)
    }

    func run() throws {
        ProcessMemory.keepFreedMemoryForReuse()
        let files: [DashboardFile]
        do {
            files = try loadDashboards()
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(ConfigError.exitCode)
        }
        if let name = self.dashboard, !files.contains(where: { $0.name == name }) {
            let known = files.map(\.name).joined(separator: ", ")
            throw ValidationError(
                Language.ofCommand.localized("cmd.dashboard.no_such", ["name": name])
                    + (known.isEmpty ? "" : Language.ofCommand.localized("cmd.dashboard.there_are", ["names": known])))
        }
        var dashboard = Dashboard(
            storePath: store.path,
            refresh: Duration(prometheus: refresh) ?? .seconds(1), dashboards: files,
            // The operations room's first screen, when there is one, whatever the files' order.
            selected: self.dashboard ?? (files.contains { $0.name == "overview" } ? "overview" : nil))
        dashboard.language = store.language
        // Inhibitions and maintenance windows mute alerts as the notifier does.
        if let notifications = StoreLocation.daemonConfig(store.config)?.notifications {
            dashboard.muting = { labels, firing, now in
                notifications.mute(labels, active: firing, silences: [], at: now)?.rawValue
            }
        }
        for variable in variables {
            let parts = variable.split(separator: "=", maxSplits: 1).map(String.init)
            dashboard.values[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        let client = HTTPClient(maxInFlight: 4)
        defer { client.shutdown() }
        if let source {
            try OutputFormat.checkSource(source)
            if let alertsSource { try OutputFormat.checkSource(alertsSource) }
            let remote = RemoteQuery(base: source, client: client)
            let alerts = alertsSource.map { RemoteQuery(base: $0, client: client) }
            dashboard.remote = { RemoteDashboardBackend(remote: remote, alerts: alerts) }
            dashboard.remoteName = source
        }
        if let snapshot, let (width, height) = Self.size(snapshot) {
            print(dashboard.snapshot(width: width, height: height, ansi: ansi))
            return
        }
        do {
            try dashboard.run()
        } catch {
            FileHandle.standardError.write(Data("ioc dashboard: \(store.language.describe(error))\n".utf8))
            throw ExitCode.failure
        }
    }

    /// The dashboards of --dashboards, or of iocd.yaml's dashboard_files when it can be read.
    private func loadDashboards() throws -> [DashboardFile] {
        if let pattern = dashboards {
            guard let paths = FileGlob.paths(matching: pattern), !paths.isEmpty else {
                throw ValidationError.say("cmd.dashboard.no_file", ["pattern": pattern])
            }
            return try DashboardFile.loadAll(paths)
        }
        let configPath = store.config ?? DaemonConfig.defaultPath
        guard let root = try? ConfigFiles.parse(configPath),
            let config = try? DaemonConfig(from: root, file: configPath)
        else { return [] }
        return try DashboardFile.loadAll(config.dashboardFiles.flatMap { FileGlob.paths(matching: $0) ?? [] }.sorted())
    }
}

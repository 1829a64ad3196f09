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
        abstract: Message(
            vi: "Hiển thị trực tiếp các bảng điều khiển (dashboards/*.yaml) trên terminal.",
            en: "Show the dashboards (dashboards/*.yaml) live in the terminal."
        ).spoken,
        discussion: Message(
            vi: """
                Bảng điều khiển lấy từ --dashboards, nếu không thì từ dashboard_files của iocd.yaml (mặc định \
                dashboards/*.yaml bên cạnh nó); nếu không có, một danh sách dựng sẵn của mọi mục tiêu được đo. \
                Phím: mũi tên hoặc hjkl để di chuyển, Tab đổi bảng, Enter xem chi tiết, / lọc, t đổi khoảng thời \
                gian, v đổi biến của bảng (tỉnh), z phóng to một khung, p tạm dừng, ? trợ giúp, q hoặc Ctrl-C \
                thoát, Ctrl-L vẽ lại, Ctrl-Z tạm ngưng. NO_COLOR tắt màu.
                """,
            en: """
                Dashboards come from --dashboards, else from the dashboard_files of iocd.yaml (default \
                dashboards/*.yaml beside it); without any, a built-in list of every probed target. \
                Keys: arrows or hjkl move, Tab switches dashboards, Enter drills down, / filters, t changes the time \
                range, v switches a dashboard's variable (the province), z zooms a panel, p pauses, ? helps, q or \
                Ctrl-C quits, Ctrl-L redraws, Ctrl-Z suspends. NO_COLOR turns colours off.
                """
        ).spoken)

    @OptionGroup var store: StoreOptions

    @Option(
        help: .says(
            vi: "In một khung hình kích thước này (vd. 100x30) dưới dạng văn bản thuần rồi thoát.",
            en: "Print one frame of this size (e.g. 100x30) as plain text and exit."))
    var snapshot: String?

    @Flag(
        help: .says(
            vi: "Với --snapshot: giữ màu (các chuỗi thoát SGR).",
            en: "With --snapshot: keep the colours (SGR escape sequences)."))
    var ansi = false

    @Option(
        help: .says(
            vi: "Bảng điều khiển cần hiển thị (tên của nó), vd. overview.",
            en: "The dashboard to show (its name), e.g. overview."))
    var dashboard: String?

    @Option(
        help: .says(
            vi: "Các tệp bảng điều khiển, dạng mẫu glob (đặt trong dấu nháy), vd. 'dashboards/*.yaml'.",
            en: "Dashboard files, as a glob pattern (quote it), e.g. 'dashboards/*.yaml'."))
    var dashboards: String?

    @Option(
        help: .says(
            vi: "Đọc từ API tương thích Prometheus này (một iocd khác, một Prometheus trung tâm) thay cho kho dữ liệu.",
            en: "Read from this Prometheus-compatible API (another iocd, a central Prometheus) instead of the store."))
    var source: String?

    @Option(
        help: .says(
            vi:
                "Đọc cảnh báo từ iocd hoặc Prometheus này thay cho --source (VictoriaMetrics không giữ cảnh báo: cảnh báo của một trung tâm quốc gia là của iocd quốc gia).",
            en:
                "Read the alerts from this iocd or Prometheus instead of --source (VictoriaMetrics keeps none: a national "
                + "centre's are its national iocd's).", valueName: "url"))
    var alertsSource: String?

    @Option(
        help: .says(
            vi: "Chu kỳ làm mới màn hình, dạng thời lượng (vd. 1s, 500ms).",
            en: "How often the screen refreshes, as a duration (e.g. 1s, 500ms)."))
    var refresh = "1s"

    @Option(
        name: .customLong("var"),
        help: .says(
            vi: "Giá trị ban đầu của một biến bảng điều khiển, vd. province=Huế.",
            en: "A dashboard variable's value to start with, e.g. province=Huế.", valueName: "name=value"))
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
            let language = Language.ofCommand
            throw ValidationError(
                language.localized("cmd.dashboard.no_such", ["name": name])
                    + (known.isEmpty ? "" : language.localized("cmd.dashboard.there_are", ["names": known])))
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

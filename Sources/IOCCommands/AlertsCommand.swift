import ArgumentParser
import Foundation
import IOCCore
import IOCAlert
import IOCClient
import IOCConfig
import IOCDashboard
import IOCHTTP
import IOCQuery
import IOCStore

struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: Message(
            vi: "Liệt kê các cảnh báo iocd đang giữ, hoặc lịch sử của chúng.",
            en: "List the alerts iocd holds now, or their history."
        ).spoken,
        discussion: Message(
            vi: """
                Không có tùy chọn: các cảnh báo đang báo, rồi các cảnh báo bị tắt báo, rồi các cảnh báo đang chờ, \
                mỗi nhóm theo mức độ (critical trước) và thời gian, kèm thời gian đã kéo dài; trên terminal các \
                dòng vừa bề rộng của nó. Điều kiện (province=Huế, 'severity=~"critical|warning"'), --state và \
                --severity thu hẹp danh sách. --all thêm các cảnh báo đã hết mà iocd còn giữ (15 phút, để gửi tin \
                đã hết). --history liệt kê mọi thay đổi (pending, firing, resolved, cancelled), cũ nhất trước; \
                --since giới hạn nó (một thời lượng tính ngược từ bây giờ, như 24h, hoặc một thời điểm). --json in \
                các dòng JSON.
                """,
            en: """
                Without options: the firing alerts, then the silenced ones, then the pending ones, each by \
                severity (critical first) and age, with how long they have been active; on a terminal the \
                lines fit its width. Matchers (province=Huế, 'severity=~"critical|warning"'), --state and \
                --severity narrow the list. --all adds the resolved alerts iocd still keeps (15 minutes, so \
                that the resolution is sent). --history lists every change (pending, firing, resolved, \
                cancelled), oldest first; --since limits it (a duration back from now, like 24h, or a \
                time). --json prints JSON lines.
                """
        ).spoken)

    @OptionGroup var store: StoreOptions

    @Argument(
        help: .says(
            vi: "Các điều kiện mà mọi cảnh báo được liệt kê đều thỏa, như ở ioc silence add.",
            en: "Matchers every listed alert satisfies, as for ioc silence add."))
    var matchers: [String] = []

    @Option(
        help: .says(
            vi:
                "Chỉ các cảnh báo ở những tình trạng này: firing, silenced, inhibited, maintenance, pending, resolved (cách nhau bằng dấu phẩy).",
            en:
                "Only alerts in these states: firing, silenced, inhibited, maintenance, pending, resolved (comma-separated)."
        )
    )
    var state: String?

    @Option(
        help: .says(
            vi: "Chỉ các cảnh báo có mức độ này (cách nhau bằng dấu phẩy), vd. critical,warning.",
            en: "Only alerts of these severities (comma-separated), e.g. critical,warning."))
    var severity: String?

    @Flag(
        help: .says(
            vi: "Liệt kê các lần thay đổi của cảnh báo thay cho chính các cảnh báo.",
            en: "List the changes of alerts instead of the alerts."))
    var history = false

    @Flag(help: .says(vi: "Kể cả các cảnh báo đã hết mà iocd còn giữ.", en: "Include resolved alerts still kept."))
    var all = false

    @Option(
        help: .says(
            vi: "Với --history: từ chừng này trước đây (24h) hoặc từ thời điểm này (RFC 3339 hoặc giây Unix).",
            en: "With --history: from this long ago (24h) or this time (RFC 3339 or Unix seconds)."))
    var since: String?

    @Option(
        help: .says(
            vi: "Với --history: nhiều nhất chừng này thay đổi, mới nhất.",
            en: "With --history: at most this many changes, the latest."))
    var limit = 1_000

    @Flag(help: .says(vi: "Mỗi dòng một đối tượng JSON (như -o json).", en: "One JSON object per line (as -o json)."))
    var json = false

    @Option(
        name: .shortAndLong,
        help: .says(
            vi: "Cách in: text (một bảng) hoặc json (mỗi dòng một đối tượng).",
            en: "How to print them: text (a table) or json (one object per line)."))
    var output: OutputFormat = .text

    @Option(
        help: .says(
            vi:
                "Đọc cảnh báo của một iocd (hoặc Alertmanager) đang chạy qua API của nó thay cho kho dữ liệu: http://USER:PASSWORD@HOST:9420 khi bộ lắng nghe của nó yêu cầu xác thực.",
            en: """
                Read the alerts of a running iocd (or Alertmanager) through its API instead of the store: \
                http://USER:PASSWORD@HOST:9420 when its listener asks for credentials.
                """))
    var source: String?

    func validate() throws {
        if let source { try OutputFormat.checkSource(source) }
        if source != nil && history {
            throw ValidationError.say("cmd.alerts.history_source")
        }
    }

    func run() throws {
        let now = WallClock.nowMilliseconds()
        let json = json || output == .json
        do {
            if let source {
                let client = HTTPClient(maxInFlight: 1)
                defer { client.shutdown() }
                let alerts = try RemoteQuery(base: source, client: client).alerts()
                var mutes: [Labels: NotifierConfig.Mute] = [:]
                for alert in try RemoteAlertmanager(base: source, client: client).alerts() {
                    if !alert.silencedBy.isEmpty {
                        mutes[alert.labels] = .silenced
                    } else if !alert.inhibitedBy.isEmpty {
                        mutes[alert.labels] = .inhibited
                    }
                }
                show(try select(alerts) { mutes[$0.labels] }, now: now, json: json)
                return
            }
            let reader = try StoreReader(path: store.path)
            if history {
                var from = Int64.min
                if let since {
                    if let duration = Duration(prometheus: since) {
                        from = now - duration.inMilliseconds
                    } else {
                        from = try QueryCommand.time(since, "--since")
                    }
                }
                let entries = try reader.alertHistory(from: from, limit: limit)
                if json {
                    for entry in entries {
                        print(
                            OutputFormat.line([
                                "time": AlertsCommand.rfc3339(entry.time), "change": entry.kind, "rule": entry.rule,
                                "labels": AlertsCommand.dictionary(entry.labels),
                                "annotations": AlertsCommand.dictionary(entry.annotations),
                                "active_at": AlertsCommand.rfc3339(entry.activeAt),
                            ]))
                    }
                    return
                }
                let language = store.language
                let rows = entries.map { entry in
                    [
                        UTCTime.display(entry.time, language: language), language.word("change", entry.kind),
                        entry.labels["alertname"] ?? "", AlertsCommand.labelText(entry.labels),
                        language.summary(entry.annotations),
                    ]
                }
                AlertsCommand.printTable(
                    ["time", "change", "alert", "labels", "summary"].map { language.localized("alerts.header." + $0) },
                    rows)
                return
            }
            let silences = try reader.silences(parsing: Selector.matchers(parsing:)).filter { $0.isActive(at: now) }
            // Inhibitions and maintenance windows are the daemon's configuration's.
            let notifications = StoreLocation.daemonConfig(store.config)?.notifications ?? .none
            let alerts = try reader.alerts()
            let firing = alerts.filter { $0.state == .firing }.map(\.labels)
            let selected = try select(alerts) { alert in
                alert.state == .firing
                    ? notifications.mute(alert.labels, active: firing, silences: silences, at: now) : nil
            }
            show(selected, now: now, json: json)
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("ioc alerts: \(store.language.describe(error))\n".utf8))
            throw ExitCode.failure
        }
    }

    private func show(_ selected: [(RuleAlert, NotifierConfig.Mute?)], now: Int64, json: Bool) {
        if json {
            for (alert, mute) in selected {
                var object: [String: Any] = [
                    "state": alert.state.rawValue, "silenced": mute == .silenced, "rule": alert.rule,
                    "labels": AlertsCommand.dictionary(alert.labels),
                    "annotations": AlertsCommand.dictionary(alert.annotations),
                    "active_at": AlertsCommand.rfc3339(alert.activeAt),
                    "value": PrometheusNumber.format(alert.value),
                ]
                if let mute { object["muted"] = mute.rawValue }
                if let fired = alert.firedAt { object["fired_at"] = AlertsCommand.rfc3339(fired) }
                if let resolved = alert.resolvedAt { object["resolved_at"] = AlertsCommand.rfc3339(resolved) }
                print(OutputFormat.line(object))
            }
            return
        }
        let language = store.language
        if selected.isEmpty {
            let filtered = !(matchers.isEmpty && state == nil && severity == nil)
            let key =
                all
                ? (filtered ? "alerts.none_match" : "alerts.none")
                : (filtered ? "alerts.none_active_match" : "alerts.none_active")
            print(language.localized(key))
            return
        }
        let rows = selected.map { alert, mute in
            [
                language.localized("alerts.state." + AlertsCommand.stateName(alert, mute)),
                UnitFormat.age(now - alert.activeAt, language),
                alert.labels["severity"] ?? "", alert.labels["alertname"] ?? "",
                AlertsCommand.labelText(alert.labels), language.summary(alert.annotations),
            ]
        }
        AlertsCommand.printTable(
            ["state", "active_for", "severity", "alert", "labels", "summary"].map {
                language.localized("alerts.header." + $0)
            }, rows)
    }

    /// firing, silenced, inhibited, maintenance (a firing alert muted so), pending or resolved.
    static func stateName(_ alert: RuleAlert, _ mute: NotifierConfig.Mute?) -> String {
        mute?.rawValue ?? (alert.state == .inactive ? "resolved" : alert.state.rawValue)
    }

    /// The alerts the options select, each with why it is muted if it is (a silence, an inhibition,
    /// a maintenance window), in the order an operator reads them (as the dashboard's alerts panel).
    private func select(
        _ alerts: [RuleAlert], mute: (RuleAlert) -> NotifierConfig.Mute?
    ) throws -> [(RuleAlert, NotifierConfig.Mute?)] {
        let wanted = try SilenceCommand.Add.matchers(matchers)
        let states = state.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        let severities = severity.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        let known: Set<String> = ["firing", "silenced", "inhibited", "maintenance", "pending", "resolved"]
        if let unknown = states?.subtracting(known).first {
            throw ValidationError.say("cmd.alerts.bad_state", ["value": unknown])
        }
        let selected = alerts.compactMap { alert -> (RuleAlert, NotifierConfig.Mute?)? in
            let mute = mute(alert)
            guard all || alert.state != .inactive || states?.contains("resolved") == true,
                states.map({ $0.contains(AlertsCommand.stateName(alert, mute)) }) ?? true,
                severities.map({ $0.contains(alert.labels["severity"] ?? "") }) ?? true,
                wanted.allSatisfy({ $0.matches(alert.labels) })
            else { return nil }
            return (alert, mute)
        }
        // Each alert's row made once, not at every comparison of the sort.
        let rows = selected.map { alert, mute in
            AlertRow(
                state: alert.state, labels: alert.labels, summary: "", activeAt: alert.activeAt, silenced: mute != nil)
        }
        return zip(selected, rows).sorted { AlertRow.byPriority($0.1, $1.1) }.map(\.0)
    }

    /// `2026-11-29T03:44:40Z`.
    static func rfc3339(_ milliseconds: Int64) -> String { UTCTime.rfc3339(milliseconds, fraction: false) }

    static func labelText(_ labels: Labels) -> String {
        labels.pairs.filter { $0.name != "alertname" }.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
    }

    static func dictionary(_ labels: Labels) -> [String: String] {
        Dictionary(labels.pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    /// Columns padded to their widest cell; text from outside is stripped of control characters.
    /// On a terminal, each line is cut to its width (the last columns first, ending in "…").
    static func printTable(_ header: [String], _ rows: [[String]]) {
        let cells = [header] + rows.map { $0.map(TerminalText.sanitize) }
        let widths = header.indices.map { column in cells.map { TerminalText.width(of: $0[column]) }.max() ?? 0 }
        let limit = terminalWidth()
        for row in cells {
            var line = ""
            for (column, cell) in row.enumerated() {
                line += cell
                if column < row.count - 1 {
                    line += String(repeating: " ", count: widths[column] - TerminalText.width(of: cell) + 2)
                }
            }
            print(limit.map { TerminalText.clip(line, to: $0) } ?? line)
        }
    }

    /// The width of the terminal standard output goes to; nil when it is not one (a pipe, a file).
    static func terminalWidth() -> Int? {
        guard isatty(STDOUT_FILENO) == 1 else { return nil }
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }
}

import ArgumentParser
import Foundation
import IOCCore
import IOCConfig
import IOCDashboard
import IOCStore

struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "List the alerts iocd holds now, or their history.",
        discussion: """
            Without options: the pending and firing alerts, oldest first, with how long they have been \
            active. --all adds the resolved alerts iocd still keeps (15 minutes, so that the resolution is \
            sent). --history lists every change (pending, firing, resolved, cancelled), oldest first; \
            --since limits it (a duration back from now, like 24h, or a time). --json prints JSON lines.
            """)

    @OptionGroup var store: StoreOptions

    @Flag(help: "List the changes of alerts instead of the alerts.")
    var history = false

    @Flag(help: "Include resolved alerts still kept.")
    var all = false

    @Option(help: "With --history: from this long ago (24h) or this time (RFC 3339 or Unix seconds).")
    var since: String?

    @Option(help: "With --history: at most this many changes, the latest.")
    var limit = 1_000

    @Flag(help: "One JSON object per line.")
    var json = false

    func run() throws {
        let path = StoreLocation.resolve(db: store.db, config: store.config)
        let now = WallClock.nowMilliseconds()
        do {
            let reader = try StoreReader(path: path)
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
                            AlertsCommand.jsonLine([
                                "time": AlertsCommand.rfc3339(entry.time), "change": entry.kind, "rule": entry.rule,
                                "labels": AlertsCommand.dictionary(entry.labels),
                                "annotations": AlertsCommand.dictionary(entry.annotations),
                                "active_at": AlertsCommand.rfc3339(entry.activeAt),
                            ]))
                    }
                    return
                }
                let rows = entries.map { entry in
                    [
                        UTCTime.format(entry.time), entry.kind, entry.labels["alertname"] ?? "",
                        AlertsCommand.labelText(entry.labels), entry.annotations["summary"] ?? "",
                    ]
                }
                AlertsCommand.printTable(["TIME", "CHANGE", "ALERT", "LABELS", "SUMMARY"], rows)
                return
            }
            let alerts = try reader.alerts().filter { all || $0.state != .inactive }.sorted {
                $0.activeAt < $1.activeAt
            }
            if json {
                for alert in alerts {
                    var object: [String: Any] = [
                        "state": alert.state.rawValue, "rule": alert.rule,
                        "labels": AlertsCommand.dictionary(alert.labels),
                        "annotations": AlertsCommand.dictionary(alert.annotations),
                        "active_at": AlertsCommand.rfc3339(alert.activeAt),
                        "value": PrometheusNumber.format(alert.value),
                    ]
                    if let fired = alert.firedAt { object["fired_at"] = AlertsCommand.rfc3339(fired) }
                    if let resolved = alert.resolvedAt { object["resolved_at"] = AlertsCommand.rfc3339(resolved) }
                    print(AlertsCommand.jsonLine(object))
                }
                return
            }
            if alerts.isEmpty {
                print("no \(all ? "" : "active ")alerts")
                return
            }
            let rows = alerts.map { alert in
                [
                    alert.state.rawValue,
                    Duration.milliseconds(max(0, now - alert.activeAt) / 1000 * 1000).prometheusString,
                    alert.labels["alertname"] ?? "", AlertsCommand.labelText(alert.labels),
                    alert.annotations["summary"] ?? "",
                ]
            }
            AlertsCommand.printTable(["STATE", "ACTIVE FOR", "ALERT", "LABELS", "SUMMARY"], rows)
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("ioc alerts: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// `2026-11-29T03:44:40Z`.
    static func rfc3339(_ milliseconds: Int64) -> String { UTCTime.rfc3339(milliseconds, fraction: false) }

    static func labelText(_ labels: Labels) -> String {
        labels.pairs.filter { $0.name != "alertname" }.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
    }

    static func dictionary(_ labels: Labels) -> [String: String] {
        Dictionary(labels.pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    static func jsonLine(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Columns padded to their widest cell; text from outside is stripped of control characters.
    static func printTable(_ header: [String], _ rows: [[String]]) {
        let cells = [header] + rows.map { $0.map(TerminalText.sanitize) }
        let widths = header.indices.map { column in cells.map { TerminalText.width(of: $0[column]) }.max() ?? 0 }
        for row in cells {
            var line = ""
            for (column, cell) in row.enumerated() {
                line += cell
                if column < row.count - 1 {
                    line += String(repeating: " ", count: widths[column] - TerminalText.width(of: cell) + 2)
                }
            }
            print(line)
        }
    }
}

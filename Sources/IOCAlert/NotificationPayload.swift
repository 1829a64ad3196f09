import Foundation
public import IOCCore

/// The texts a notification is sent as: Alertmanager's webhook JSON (version 4), the alerts of
/// Alertmanager's `/api/v2/alerts`, and RFC 5424 syslog messages.
public enum NotificationPayload {
    /// `2026-12-01T05:20:00.123Z`.
    public static func rfc3339(_ milliseconds: Int64) -> String { UTCTime.rfc3339(milliseconds) }

    /// An alert's fingerprint as Alertmanager writes it: 16 hexadecimal digits of its labels' hash.
    public static func fingerprint(_ labels: Labels) -> String { String(format: "%016llx", labels.stableHash) }

    static func dictionary(_ labels: Labels) -> [String: String] {
        Dictionary(labels.pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// Labels every alert of the notification has, with the same value.
    static func common(_ sets: [Labels]) -> [String: String] {
        guard let first = sets.first else { return [:] }
        return dictionary(first).filter { name, value in sets.allSatisfy { $0[name] == value } }
    }

    /// Alertmanager's webhook body, so that receivers written for Alertmanager work unchanged.
    public static func webhook(_ notification: Notification, externalURL: String) -> [UInt8] {
        let alerts: [[String: Any]] = notification.alerts.map { alert in
            [
                "status": alert.isResolved ? "resolved" : "firing",
                "labels": dictionary(alert.labels),
                "annotations": dictionary(alert.annotations),
                "startsAt": rfc3339(alert.startsAt),
                "endsAt": alert.endsAt.map(rfc3339) ?? "0001-01-01T00:00:00Z",
                "generatorURL": externalURL,
                "fingerprint": fingerprint(alert.labels),
            ]
        }
        let body: [String: Any] = [
            "version": "4",
            "groupKey": notification.groupKey,
            "truncatedAlerts": 0,
            "status": notification.isFiring ? "firing" : "resolved",
            "receiver": notification.receiver,
            "groupLabels": dictionary(notification.groupLabels),
            "commonLabels": common(notification.alerts.map(\.labels)),
            "commonAnnotations": common(notification.alerts.map(\.annotations)),
            "externalURL": externalURL,
            "alerts": alerts,
        ]
        return json(body)
    }

    /// The body of a POST to an Alertmanager's `/api/v2/alerts`: a firing alert is valid for four
    /// minutes and sent again every minute, as Prometheus does; a resolved one ends when it resolved.
    public static func alertmanager(_ notification: Notification, externalURL: String) -> [UInt8] {
        json(
            notification.alerts.map { alert in
                [
                    "labels": dictionary(alert.labels),
                    "annotations": dictionary(alert.annotations),
                    "startsAt": rfc3339(alert.startsAt),
                    "endsAt": rfc3339(alert.endsAt ?? notification.time + 4 * 60_000),
                    "generatorURL": externalURL,
                ] as [String: Any]
            })
    }

    static func json(_ object: Any) -> [UInt8] {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Array(data)
    }

    /// Syslog severity from the alert's `severity` label (Alertmanager's habits included: `page`);
    /// a resolution is informational.
    static func severity(of alert: NotifiableAlert) -> Int {
        if alert.isResolved { return 6 }
        switch alert.labels["severity"]?.lowercased() {
        case "emergency", "emerg": return 0
        case "alert", "page": return 1
        case "critical", "crit": return 2
        case "error", "err": return 3
        case "notice": return 5
        case "info", "informational": return 6
        case "debug": return 7
        default: return 4
        }
    }

    /// One RFC 5424 message per alert: `<PRI>1 TIME HOST APP PID MSGID [alert@32473 labels...] MSG`.
    /// Label values are escaped as structured data requires, and every control character (a newline
    /// from a feed, an escape sequence) is written out as text, so that nothing can forge a line.
    public static func syslog(
        _ notification: Notification, facility: Int, appName: String, hostname: String, processID: Int32
    ) -> [String] {
        notification.alerts.map { alert in
            let priority = facility * 8 + severity(of: alert)
            let status = alert.isResolved ? "resolved" : "firing"
            var data = "[alert@32473 status=\"\(status)\""
            for pair in alert.labels.pairs {
                data += " " + parameterName(pair.name) + "=\"" + parameterValue(pair.value) + "\""
            }
            data += "]"
            let summary = alert.annotations["summary"] ?? alert.annotations["description"] ?? ""
            let message = "\(alert.labels["alertname"] ?? "alert") \(status): \(summary)"
            return "<\(priority)>1 \(rfc3339(notification.time)) \(header(hostname)) \(header(appName)) \(processID) "
                + "\(status) \(data) \(escapedControls(message))"
        }
    }

    /// A header field: printable ASCII without spaces, at most 48 characters, or `-`.
    private static func header(_ text: String) -> String {
        let kept = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value > 32 && $0.value < 127 }))
        return kept.isEmpty ? "-" : String(kept.prefix(48))
    }

    private static func parameterName(_ name: String) -> String {
        let kept = name.unicodeScalars.filter {
            $0.value > 32 && $0.value < 127 && !"=]\" ".unicodeScalars.contains($0)
        }
        return String(String.UnicodeScalarView(kept.prefix(32)))
    }

    /// `"`, `\` and `]` escaped with a backslash (RFC 5424 6.3.3); control characters as text.
    private static func parameterValue(_ value: String) -> String {
        var result = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"", "\\", "]": result += "\\" + String(scalar)
            default: result += escapedControls(String(scalar))
            }
        }
        return result
    }

    /// `\n`, `\r`, `\t` and `\u001b`-like text for control characters: what goes to a log line or
    /// a syslog message cannot start a new line or act on a terminal.
    public static func escapedControls(_ text: String) -> String { ControlCharacters.escaped(text) }
}

import Foundation
public import IOCCore

/// Where a Telegram receiver sends, in the shape of Alertmanager's `telegram_configs`: a bot's
/// token (from a file: it is a secret, and it is part of the URL), a chat, a parse mode.
public struct TelegramTarget: Sendable {
    /// The Bot API, `https://api.telegram.org` unless a test or a proxy says otherwise.
    public var apiURL: String
    public var token: Secret
    public var chatID: Int64
    /// `HTML` (the default), `MarkdownV2` or `""` for plain text.
    public var parseMode: String
    public var disableNotification: Bool
    public var timeout: Duration
}

/// The `sendMessage` request of a notification: which alerts fire or resolved, where, since when,
/// in Vietnamese (the English summary where an alert has no Vietnamese one).
public enum TelegramMessage {
    /// Telegram's limit on a message's text, in characters.
    static let maxLength = 4096
    /// The most characters of one summary, one place line or the alert's name.
    static let maxSummary = 400

    public static func body(_ notification: Notification, to target: TelegramTarget) -> [UInt8] {
        var fields: [String: Any] = [
            "chat_id": target.chatID, "text": text(notification, html: target.parseMode == "HTML"),
            "disable_notification": target.disableNotification,
        ]
        if !target.parseMode.isEmpty { fields["parse_mode"] = target.parseMode }
        return NotificationPayload.json(fields)
    }

    /// A heading with the state and the count, then two lines for each alert: its summary, and
    /// where and since when (Viet Nam's time). Within Telegram's 4,096 characters whatever the
    /// alerts hold: a summary is cut to `maxSummary` before it is escaped, and alerts that do not
    /// fit are counted in a last line rather than cut mid-entity (which the Bot API would refuse,
    /// and the message would wait in the queue for ever).
    static func text(_ notification: Notification, html: Bool) -> String {
        func escape(_ text: String) -> String {
            let clean = ControlCharacters.escaped(text)
            return html ? HTMLText.escaped(clean) : clean
        }
        let firing = notification.alerts.filter { !$0.isResolved }
        let resolved = notification.alerts.filter(\.isResolved)
        let name = notification.groupLabels["alertname"] ?? notification.alerts.first?.labels["alertname"] ?? ""
        var heading = firing.isEmpty ? "✅ ĐÃ KHẮC PHỤC" : "🔥 CẢNH BÁO: \(firing.count)"
        if !resolved.isEmpty && !firing.isEmpty { heading += " · đã khắc phục: \(resolved.count)" }
        heading += " · " + String(name.prefix(maxSummary))
        var text = html ? "<b>\(escape(heading))</b>" : escape(heading)
        let all = firing + resolved
        for (index, alert) in all.enumerated() {
            let summary =
                alert.annotations["summary"] ?? alert.annotations["summary_en"] ?? alert.labels["alertname"] ?? ""
            var place: [String] = []
            if let province = alert.labels["province"] ?? alert.labels["platform"] { place.append(province) }
            if let service = alert.labels["service"] ?? alert.labels["peer"] { place.append(service) }
            if let severity = alert.labels["severity"] { place.append(severity) }
            let since = alert.isResolved ? "đến \(time(alert.endsAt ?? alert.startsAt))" : "từ \(time(alert.startsAt))"
            let entry =
                "\n• " + escape(String(summary.prefix(maxSummary))) + "\n  "
                + escape(String((place + [since]).joined(separator: " · ").prefix(maxSummary)))
            // Room kept for the line that counts what did not fit.
            guard text.unicodeScalars.count + entry.unicodeScalars.count <= maxLength - 64 else {
                text += "\n… và \(all.count - index) cảnh báo khác"
                break
            }
            text += entry
        }
        return text
    }

    /// `14:05 04/12/2026`, in UTC+7.
    static func time(_ milliseconds: Int64) -> String {
        let local = milliseconds + 7 * 3_600_000
        var seconds = time_t(local / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%02d:%02d %02d/%02d/%04d", Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_mday),
            Int(parts.tm_mon) + 1, Int(parts.tm_year) + 1900)
    }
}

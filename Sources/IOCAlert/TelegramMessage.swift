import Foundation
public import IOCCore

/// Where a Telegram receiver sends, in the shape of Alertmanager's `telegram_configs`: a bot's
/// token (from a file: it is a secret, and it is part of the URL), a chat, a parse mode, a message
/// template.
public struct TelegramTarget: Sendable {
    /// The Bot API, `https://api.telegram.org` unless a test or a proxy says otherwise.
    public var apiURL: String
    public var token: Secret
    public var chatID: Int64
    /// `HTML` (the default), `MarkdownV2` or `""` for plain text.
    public var parseMode: String
    public var disableNotification: Bool
    public var timeout: Duration
    /// The text; the shipped `telegram.default.message` (or `.plain` outside HTML) unless configured.
    public var message: NotificationText
    /// Whether `message` is the operator's (its own markup kept) or shipped (plain text).
    public var isCustomMessage: Bool
}

/// The `sendMessage` request of a notification.
public enum TelegramMessage {
    /// Telegram's limit on a message's text, in characters.
    static let maxLength = 4096
    /// What a message's template may write before it is cut to `maxLength`: enough for any markup.
    static let maxBytes = 64 << 10

    public static func body(_ notification: Notification, to target: TelegramTarget, externalURL: String)
        throws(TemplateError) -> [UInt8]
    {
        var fields: [String: Any] = [
            "chat_id": target.chatID, "text": try text(notification, to: target, externalURL: externalURL),
            "disable_notification": target.disableNotification,
        ]
        if !target.parseMode.isEmpty { fields["parse_mode"] = target.parseMode }
        return NotificationPayload.json(fields)
    }

    /// The message's text. What the alerts hold is escaped for the parse mode (in HTML, `<b>` in a
    /// summary is text, not markup; control characters are written out), and the whole stays
    /// within Telegram's 4,096 characters without cutting a tag or an entity in two: a message the
    /// Bot API refused would wait in the queue for ever.
    static func text(_ notification: Notification, to target: TelegramTarget, externalURL: String)
        throws(TemplateError) -> String
    {
        let html = target.parseMode == "HTML"
        let markdown = target.parseMode == "MarkdownV2"
        let escape: @Sendable (String) -> String = { value in
            let clean = ControlCharacters.escaped(value)
            return html ? HTMLText.escaped(clean) : markdown ? markdownEscaped(clean) : clean
        }
        let data = NotificationData(notification, externalURL: externalURL)
        // The shipped plain text has no markup of its own: in MarkdownV2 all of it is escaped.
        if markdown && !target.isCustomMessage {
            let text = try target.message.expand(data, maxBytes: maxBytes, truncating: true)
            return fit(markdownEscaped(ControlCharacters.escaped(text)), html: false)
        }
        return fit(try target.message.expand(data, escape: escape, maxBytes: maxBytes, truncating: true), html: html)
    }

    /// MarkdownV2's reserved characters, each after a backslash.
    static func markdownEscaped(_ text: String) -> String {
        var out = ""
        for character in text {
            if "_*[]()~`>#+-=|{}.!\\".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// `text` cut to Telegram's limit: at a line's end where one is near, never inside a tag or an
    /// entity, the tags still open closed, and `…` to say that more was there.
    static func fit(_ text: String, html: Bool) -> String {
        guard text.unicodeScalars.count > maxLength else { return text }
        var scalars = Array(text.unicodeScalars.prefix(maxLength - 128))
        if let newline = scalars.lastIndex(of: "\n"), newline > scalars.count / 2 {
            scalars.removeSubrange(newline...)
        }
        var kept = String(String.UnicodeScalarView(scalars))
        if html {
            if let open = kept.lastIndex(of: "<"), !kept[open...].contains(">") { kept = String(kept[..<open]) }
            if let amp = kept.lastIndex(of: "&"), !kept[amp...].contains(";") { kept = String(kept[..<amp]) }
            kept += openTags(in: kept).reversed().map { "</\($0)>" }.joined()
        }
        return kept + "\n…"
    }

    /// The names of the tags opened and not closed in `text`, in order.
    static func openTags(in text: String) -> [String] {
        var open: [String] = []
        var rest = text[...]
        while let start = rest.firstIndex(of: "<"), let end = rest[start...].firstIndex(of: ">") {
            let tag = rest[rest.index(after: start)..<end]
            if tag.hasPrefix("/") {
                let name = tag.dropFirst().prefix { $0.isLetter || $0 == "-" }.lowercased()
                if let index = open.lastIndex(of: name) { open.remove(at: index) }
            } else {
                open.append(tag.prefix { $0.isLetter || $0 == "-" }.lowercased())
            }
            rest = rest[rest.index(after: end)...]
        }
        return open
    }
}

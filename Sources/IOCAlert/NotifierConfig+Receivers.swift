import Foundation
public import IOCCore
import IOCHTTP

/// Where a webhook receiver posts: Alertmanager's webhook JSON by default, or a body of its own
/// from a template (a chat system's API: Zalo OA, Mattermost, a ministry's gateway), with headers
/// from templates and secret headers from files.
public struct WebhookTarget: Sendable {
    public var url: String
    public var timeout: Duration
    public var bearerToken: Secret?
    public var body: NotificationText?
    public var contentType: String
    public var headers: [(name: String, value: NotificationText)]
    /// Headers whose values are secrets (an `access_token`), read from files.
    public var secretHeaders: [(name: String, value: Secret)]

    /// `webhook: {url, timeout, bearer_token_file, body, content_type, headers, header_files}`.
    public init(from node: ConfigNode, templates: NotificationTemplates) throws(ConfigError) {
        let fields = try node.mapping(
            of: "'webhook'",
            allowedKeys: ["url", "timeout", "bearer_token_file", "body", "content_type", "headers", "header_files"])
        url = try fields.required("url").httpURL("'url'")
        timeout = try fields["timeout"]?.duration("'timeout'") ?? .seconds(10)
        bearerToken = try fields["bearer_token_file"]?.secretFile("the token file")
        body = try fields["body"].map { node throws(ConfigError) in
            try templates.text(try node.string("'body'"), at: node)
        }
        contentType = try fields["content_type"]?.string("'content_type'") ?? "application/json"
        guard !ControlCharacters.contained(in: contentType) else { throw node.error("'content_type' must be one line") }
        headers = []
        for (name, value) in try WebhookTarget.headerEntries(fields["headers"], what: "'headers'") {
            headers.append((name, try templates.text(try value.string("header '\(name)'"), at: value)))
        }
        secretHeaders = []
        for (name, value) in try WebhookTarget.headerEntries(fields["header_files"], what: "'header_files'") {
            secretHeaders.append((name, try value.secretFile("the file of header '\(name)'")))
        }
    }

    /// Names IOC sets itself or that would change how the request is framed.
    static let reserved: Set<String> = ["host", "content-length", "transfer-encoding", "connection", "content-type"]

    static func headerEntries(_ node: ConfigNode?, what: String) throws(ConfigError) -> [(String, ConfigNode)] {
        guard let node else { return [] }
        guard case .mapping(let entries) = node.value else {
            throw node.error("expected \(what) as a mapping of header names to values, found \(node.kindName)")
        }
        var result: [(String, ConfigNode)] = []
        for entry in entries {
            let valid =
                !entry.key.isEmpty
                && entry.key.unicodeScalars.allSatisfy {
                    $0.isASCII && $0.value > 32 && $0.value < 127 && !"()<>@,;:\\\"/[]?={}".unicodeScalars.contains($0)
                }
            guard valid else { throw ConfigError(at: entry.keyLocation, "'\(entry.key)' is not a header name") }
            guard !reserved.contains(entry.key.lowercased()) else {
                throw ConfigError(
                    at: entry.keyLocation,
                    "header '\(entry.key)' is set by IOC (use 'content_type' for Content-Type)")
            }
            result.append((entry.key, entry.value))
        }
        return result
    }
}

extension TelegramTarget {
    /// `telegram: {bot_token_file, chat_id, parse_mode, disable_notification, api_url, timeout,
    /// message}`, as Alertmanager's `telegram_configs` (the token from a file only: it would be in
    /// the URL).
    public init(from node: ConfigNode, templates: NotificationTemplates) throws(ConfigError) {
        let fields = try node.mapping(
            of: "'telegram'",
            allowedKeys: [
                "bot_token_file", "chat_id", "parse_mode", "disable_notification", "api_url", "timeout", "message",
            ])
        let chatNode = try fields.required("chat_id")
        guard let chat = Int64(try chatNode.string("'chat_id'")) else {
            throw chatNode.error("'chat_id' is a chat's number, like -1001234567890")
        }
        let mode = try fields["parse_mode"]?.string("'parse_mode'") ?? "HTML"
        guard ["HTML", "MarkdownV2", ""].contains(mode) else {
            throw (fields["parse_mode"] ?? node).error("'parse_mode' is HTML, MarkdownV2 or empty")
        }
        let api = try fields["api_url"]?.httpURL("'api_url'") ?? "https://api.telegram.org"
        let message = try fields["message"].map { node throws(ConfigError) in
            try templates.text(try node.string("'message'"), at: node)
        }
        self.init(
            apiURL: api.hasSuffix("/") ? String(api.dropLast()) : api,
            token: try fields.required("bot_token_file").secretFile("the bot token file"), chatID: chat,
            parseMode: mode,
            disableNotification: try fields["disable_notification"]?.bool("'disable_notification'") ?? false,
            timeout: try fields["timeout"]?.duration("'timeout'") ?? .seconds(10),
            message: message
                ?? templates.shippedText(mode == "HTML" ? "telegram.default.message" : "telegram.default.plain"),
            isCustomMessage: message != nil)
    }
}

extension EmailTarget {
    /// `email: {to, from, smarthost, hello, auth_username, auth_password_file, require_tls,
    /// tls_config, headers, html, text, timeout}`, as Alertmanager's `email_configs`.
    public init(from node: ConfigNode, templates: NotificationTemplates) throws(ConfigError) {
        let fields = try node.mapping(
            of: "'email'",
            allowedKeys: [
                "to", "from", "smarthost", "hello", "auth_username", "auth_password_file", "require_tls", "tls_config",
                "headers", "html", "text", "timeout",
            ])
        let toNode = try fields.required("to")
        to = try toNode.string("'to'")
        let fromNode = try fields.required("from")
        from = try fromNode.string("'from'")
        for (node, list) in [(toNode, to), (fromNode, from)] {
            let addresses = EmailMessage.addresses(in: list)
            guard !addresses.isEmpty, list == EmailMessage.singleLine(list),
                addresses.allSatisfy({ EmailTarget.isAddress($0) })
            else {
                throw node.error("'\(list)' is not a list of e-mail addresses like 'Trực ban <trucban@soa.gov.vn>'")
            }
        }
        let hostNode = try fields.required("smarthost")
        let smarthost = try hostNode.string("'smarthost'")
        guard let colon = smarthost.lastIndex(of: ":"), let port = Int(smarthost[smarthost.index(after: colon)...]),
            (1...65_535).contains(port), colon > smarthost.startIndex
        else { throw hostNode.error("'smarthost' is host:port, like mail.soa.gov.vn:587") }
        host = String(smarthost[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        self.port = port
        hello = try fields["hello"]?.string("'hello'")
        username = try fields["auth_username"]?.string("'auth_username'")
        password = try fields["auth_password_file"]?.secretFile("the password file")
        if username != nil && password == nil {
            throw node.error("'auth_username' needs 'auth_password_file' (a password is never written in iocd.yaml)")
        }
        requireTLS = try fields["require_tls"]?.bool("'require_tls'") ?? true
        tls = TLSOptions(collectCertificates: false)
        if let tlsNode = fields["tls_config"] {
            let options = try tlsNode.mapping(of: "'tls_config'", allowedKeys: ["ca_file", "insecure_skip_verify"])
            tls.caFile = try options["ca_file"]?.filePath("'ca_file'")
            tls.verify = !(try options["insecure_skip_verify"]?.bool("'insecure_skip_verify'") ?? false)
        }
        if username != nil && !requireTLS && port != 465 {
            throw node.error("a password would cross the network in clear: keep 'require_tls' on, or use port 465")
        }
        headers = []
        for (name, value) in try WebhookTarget.headerEntries(fields["headers"], what: "'headers'") {
            headers.append((name, try templates.text(try value.string("header '\(name)'"), at: value)))
        }
        if !headers.contains(where: { $0.name.lowercased() == "subject" }) {
            headers.append(("Subject", templates.shippedText("email.default.subject")))
        }
        let html = try fields["html"].map { node throws(ConfigError) in
            try templates.text(try node.string("'html'"), at: node)
        }
        let text = try fields["text"].map { node throws(ConfigError) in
            try templates.text(try node.string("'text'"), at: node)
        }
        // Neither given: both shipped bodies, so that every mail client shows one.
        if html == nil && text == nil {
            self.html = templates.shippedText("email.default.html")
            self.text = templates.shippedText("email.default.text")
        } else {
            self.html = html
            self.text = text
        }
        timeout = try fields["timeout"]?.duration("'timeout'") ?? .seconds(30)
    }

    /// `local@domain` without spaces, brackets or line breaks.
    static func isAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && !text.unicodeScalars.contains { $0.value <= 32 || "<>,;\"".unicodeScalars.contains($0) }
    }
}

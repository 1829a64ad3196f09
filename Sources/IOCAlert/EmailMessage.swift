import Foundation
public import IOCCore
public import IOCHTTP

/// Where an e-mail receiver sends, in the shape of Alertmanager's `email_configs`.
public struct EmailTarget: Sendable {
    /// The `To` header as written (`"Trực ban <trucban@soa.gov.vn>, lanhdao@soa.gov.vn"`).
    public var to: String
    public var from: String
    public var host: String
    public var port: Int
    public var hello: String?
    public var username: String?
    public var password: Secret?
    public var requireTLS: Bool
    public var tls: TLSOptions
    /// Headers from templates; `Subject` among them (the shipped subject unless configured).
    public var headers: [(name: String, value: NotificationText)]
    public var html: NotificationText?
    public var text: NotificationText?
    public var timeout: Duration
}

/// An RFC 5322 message with MIME parts: UTF-8 text and HTML bodies in base64, and header values
/// outside ASCII as RFC 2047 encoded words, so that "Cảnh báo: Huế" arrives as written. Nothing from
/// an alert can add a header or a part: every header value has its line breaks removed.
public enum EmailMessage {
    public static func request(
        _ notification: Notification, to target: EmailTarget, externalURL: String, hostname: String
    ) throws(TemplateError) -> MailRequest {
        let data = NotificationData(notification, externalURL: externalURL)
        var headers: [(String, String)] = [("From", target.from), ("To", target.to)]
        for header in target.headers {
            headers.append((header.name, try header.value.expand(data, maxBytes: 64 << 10)))
        }
        let text = try target.text?.expand(data)
        let html = try target.html?.expand(data, escape: { HTMLText.escaped($0) })
        let message = compose(headers: headers, text: text, html: html, date: notification.time, hostname: hostname)
        return MailRequest(
            host: target.host, port: target.port, hello: target.hello, from: address(in: target.from),
            recipients: addresses(in: target.to), message: message, username: target.username,
            password: target.password?.value, requireTLS: target.requireTLS, tls: target.tls,
            timeout: target.timeout)
    }

    static func compose(
        headers: [(String, String)], text: String?, html: String?, date: Int64, hostname: String
    ) -> [UInt8] {
        var lines: [String] = []
        for (name, value) in headers {
            let flat = singleLine(value)
            let isAddress = ["from", "to", "cc", "reply-to"].contains(name.lowercased())
            lines.append("\(name): " + (isAddress ? encodedAddresses(flat) : encodedWords(flat)))
        }
        let names = Set(headers.map { $0.0.lowercased() })
        if !names.contains("date") { lines.append("Date: " + rfc5322Date(date)) }
        if !names.contains("message-id") {
            let unique = String(format: "%016llx", UInt64.random(in: 0...UInt64.max))
            lines.append("Message-Id: <\(date).\(unique)@\(hostname.isEmpty ? "iocd" : hostname)>")
        }
        lines.append("MIME-Version: 1.0")
        let parts = [(text, "text/plain"), (html, "text/html")].compactMap { body, type in
            body.map { (body: $0, type: type) }
        }
        if parts.count <= 1 {
            let part = parts.first ?? (body: "", type: "text/plain")
            lines += partHeaders(part.type) + [""] + base64Lines(part.body)
        } else {
            let boundary = "ioc-" + String(format: "%016llx", UInt64.random(in: 0...UInt64.max))
            lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            lines.append("")
            for part in parts {
                lines.append("--\(boundary)")
                lines += partHeaders(part.type) + [""] + base64Lines(part.body)
            }
            lines.append("--\(boundary)--")
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    private static func partHeaders(_ type: String) -> [String] {
        ["Content-Type: \(type); charset=UTF-8", "Content-Transfer-Encoding: base64"]
    }

    /// Base64 in lines of 76 characters, as MIME asks.
    private static func base64Lines(_ text: String) -> [String] {
        let encoded = Data(text.utf8).base64EncodedString()
        var lines: [String] = []
        var rest = encoded[...]
        while !rest.isEmpty {
            lines.append(String(rest.prefix(76)))
            rest = rest.dropFirst(76)
        }
        return lines
    }

    /// A header value on one line: CR, LF and other control characters become spaces.
    static func singleLine(_ value: String) -> String {
        String(
            String.UnicodeScalarView(
                value.unicodeScalars.map {
                    ControlCharacters.isControl($0) || $0 == "\u{2028}" || $0 == "\u{2029}" ? " " : $0
                }))
    }

    /// RFC 2047: text with any byte outside printable ASCII as `=?UTF-8?B?...?=` words of at most
    /// 75 characters, split between characters (never inside one), folded onto continuation lines.
    static func encodedWords(_ value: String) -> String {
        guard value.unicodeScalars.contains(where: { $0.value > 126 }) else { return value }
        var words: [String] = []
        var chunk = ""
        for character in value {
            // 45 bytes of UTF-8 give 60 characters of base64: with `=?UTF-8?B?` and `?=`, 72.
            if chunk.utf8.count + character.utf8.count > 45 {
                words.append(chunk)
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?" + Data($0.utf8).base64EncodedString() + "?=" }.joined(separator: "\r\n ")
    }

    /// An address list with display names outside ASCII encoded: `=?UTF-8?B?...?= <a@b.vn>`.
    static func encodedAddresses(_ value: String) -> String {
        value.split(separator: ",").map { item in
            let entry = item.trimmingCharacters(in: .whitespaces)
            guard let open = entry.lastIndex(of: "<") else { return entry }
            let name = entry[..<open].trimmingCharacters(in: .whitespaces).trimmingCharacters(
                in: CharacterSet(charactersIn: "\""))
            guard !name.isEmpty else { return String(entry[open...]) }
            let phrase =
                name.unicodeScalars.contains { $0.value > 126 }
                ? encodedWords(name) : "\"" + name.replacingOccurrences(of: "\"", with: "") + "\""
            return phrase + " " + entry[open...]
        }.joined(separator: ", ")
    }

    /// `a@b.vn` of `"Name" <a@b.vn>` or of `a@b.vn`.
    static func address(in entry: String) -> String {
        let trimmed = entry.trimmingCharacters(in: .whitespaces)
        if let open = trimmed.lastIndex(of: "<"), let close = trimmed.lastIndex(of: ">"), open < close {
            return String(trimmed[trimmed.index(after: open)..<close])
        }
        return trimmed
    }

    static func addresses(in list: String) -> [String] {
        list.split(separator: ",").map { address(in: String($0)) }.filter { !$0.isEmpty }
    }

    /// `Fri, 04 Dec 2026 22:46:45 +0000`.
    static func rfc5322Date(_ milliseconds: Int64) -> String {
        GoTime.format(.utc(milliseconds), layout: "Mon, 02 Jan 2006 15:04:05 -0700")
    }
}

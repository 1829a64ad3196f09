import CCurl
import Foundation

/// One message to hand to an SMTP server through libcurl: SMTPS (implicit TLS, port 465) or SMTP
/// with STARTTLS required, authentication when a user is given (the mechanism the server offers:
/// PLAIN or LOGIN), certificates verified unless turned off.
public struct MailRequest: Sendable {
    /// `host:port` of the smarthost.
    public var host: String
    public var port: Int
    /// The name said in EHLO; libcurl's default when nil.
    public var hello: String?
    public var from: String
    public var recipients: [String]
    /// The whole message, headers and body, lines ending in CRLF.
    public var message: [UInt8]
    public var username: String?
    public var password: String?
    /// STARTTLS must succeed (on every port but 465, which starts with TLS).
    public var requireTLS: Bool
    public var tls: TLSOptions
    public var timeout: Duration

    public init(
        host: String, port: Int, hello: String? = nil, from: String, recipients: [String], message: [UInt8],
        username: String? = nil, password: String? = nil, requireTLS: Bool = true, tls: TLSOptions = TLSOptions(),
        timeout: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.hello = hello
        self.from = from
        self.recipients = recipients
        self.message = message
        self.username = username
        self.password = password
        self.requireTLS = requireTLS
        self.tls = tls
        self.timeout = timeout
    }

    /// `smtps://host:465` or `smtp://host:port`: how errors name the server (never the user).
    public var origin: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return (port == 465 ? "smtps://" : "smtp://") + "\(bracketed):\(port)"
    }
}

/// Sends mail, blocking the calling thread (a notification sender's own, never the cooperative pool).
public enum MailTransfer {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public static func send(_ request: MailRequest) throws(Failure) {
        _ = HTTPClient.globalInit
        guard let easy = curl_easy_init() else { throw Failure(description: "\(request.origin): out of memory") }
        defer { curl_easy_cleanup(easy) }
        let body = MessageBody(request.message)
        var recipients: UnsafeMutablePointer<curl_slist>?
        for recipient in request.recipients { recipients = curl_slist_append(recipients, "<\(recipient)>") }
        defer { curl_slist_free_all(recipients) }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        defer { errorBuffer.deallocate() }

        var url = request.origin
        if let hello = request.hello { url += "/" + hello }
        let milliseconds =
            Int(request.timeout.components.seconds * 1000)
            + Int(request.timeout.components.attoseconds / 1_000_000_000_000_000)
        var codes = [
            ccurl_easy_setopt_string(easy, CURLOPT_URL, url),
            ccurl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps"),
            ccurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1),
            ccurl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, max(1, milliseconds)),
            ccurl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, max(1, min(milliseconds, 10_000))),
            ccurl_easy_setopt_string(easy, CURLOPT_MAIL_FROM, "<\(request.from)>"),
            ccurl_easy_setopt_slist(easy, CURLOPT_MAIL_RCPT, recipients),
            ccurl_easy_setopt_long(easy, CURLOPT_UPLOAD, 1),
            ccurl_easy_setopt_off_t(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(request.message.count)),
            ccurl_easy_setopt_read_function(easy, mailReadCallback),
            ccurl_easy_setopt_pointer(easy, CURLOPT_READDATA, Unmanaged.passUnretained(body).toOpaque()),
            ccurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer),
            ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, request.tls.verify ? 1 : 0),
            ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, request.tls.verify ? 2 : 0),
        ]
        if request.port != 465 && request.requireTLS {
            codes.append(ccurl_easy_setopt_long(easy, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue)))
        }
        if let caFile = request.tls.caFile { codes.append(ccurl_easy_setopt_string(easy, CURLOPT_CAINFO, caFile)) }
        if let username = request.username {
            codes.append(ccurl_easy_setopt_string(easy, CURLOPT_USERNAME, username))
            codes.append(ccurl_easy_setopt_string(easy, CURLOPT_PASSWORD, request.password ?? ""))
        }
        if let bad = codes.first(where: { $0 != CURLE_OK }) {
            throw Failure(description: "\(request.origin): \(String(cString: curl_easy_strerror(bad)))")
        }
        let code = withExtendedLifetime(body) { curl_easy_perform(easy) }
        guard code == CURLE_OK else {
            var reply = 0
            _ = ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &reply)
            let detail = String(cString: errorBuffer)
            throw Failure(
                description: "\(request.origin): \(detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)"
                    + (reply > 0 ? " (SMTP \(reply))" : ""))
        }
    }
}

/// The message libcurl reads, in pieces.
private final class MessageBody {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

private func mailReadCallback(
    _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?
)
    -> Int
{
    guard let buffer, let user else { return 0 }
    let body = Unmanaged<MessageBody>.fromOpaque(user).takeUnretainedValue()
    let length = min(size * count, body.bytes.count - body.offset)
    guard length > 0 else { return 0 }
    body.bytes.withUnsafeBytes { source in
        UnsafeMutableRawBufferPointer(start: buffer, count: length).copyMemory(
            from: UnsafeRawBufferPointer(rebasing: source[body.offset..<(body.offset + length)]))
    }
    body.offset += length
    return length
}

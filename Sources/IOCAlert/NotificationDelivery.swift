import Foundation
import Glibc
import IOCCore
import Synchronization
public import IOCHTTP

/// A delivery that did not happen; the queue tries again later.
public struct DeliveryError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Sends one notification through one integration, blocking: it runs on the notification sender's
/// own thread, never on Swift's cooperative pool.
public struct NotificationDelivery: Sendable {
    public let client: HTTPClient
    public let externalURL: String
    /// The exec hooks running now, ended by `cancelRunning()` when iocd stops.
    private let children = RunningChildren()

    public init(client: HTTPClient, externalURL: String) {
        self.client = client
        self.externalURL = externalURL
    }

    /// Ends the exec hooks that run now (SIGTERM): their deliveries fail and stay queued, so that
    /// iocd stops at once rather than after a hook's timeout.
    public func cancelRunning() { children.terminateAll() }

    public func deliver(_ notification: Notification, via integration: NotifierConfig.Integration) throws(DeliveryError)
    {
        switch integration {
        case .syslog(let target): try syslog(notification, target)
        case .exec(let command, let timeout): try exec(notification, command, timeout)
        case .webhook(let target): try webhook(notification, target)
        case .alertmanager(let url, let timeout):
            let base = url.hasSuffix("/") ? String(url.dropLast()) : url
            try post(
                base + "/api/v2/alerts", NotificationPayload.alertmanager(notification, externalURL: externalURL),
                [(name: "Content-Type", value: "application/json")], timeout)
        case .telegram(let target):
            let body = try templated { () throws(TemplateError) in
                try TelegramMessage.body(notification, to: target, externalURL: externalURL)
            }
            try post(
                "\(target.apiURL)/bot\(target.token.value)/sendMessage", body,
                [(name: "Content-Type", value: "application/json")], target.timeout,
                named: "telegram chat \(target.chatID) at")
        case .email(let target):
            let request = try templated { () throws(TemplateError) in
                try EmailMessage.request(
                    notification, to: target, externalURL: externalURL, hostname: NotificationDelivery.hostname())
            }
            do {
                try MailTransfer.send(request)
            } catch {
                throw DeliveryError(
                    "email to \(EmailMessage.addresses(in: target.to).joined(separator: ", ")) via \(error)")
            }
        }
    }

    /// A template that fails on this notification's data fails the delivery, which is retried and
    /// logged, as Alertmanager does; the text's syntax and the templates it calls were checked at load.
    private func templated<T>(_ make: () throws(TemplateError) -> T) throws(DeliveryError) -> T {
        do {
            return try make()
        } catch {
            throw DeliveryError("template: \(error)")
        }
    }

    /// Alertmanager's webhook JSON, or the target's own body; its headers with every control
    /// character of a templated value replaced, so that alert data cannot add a header.
    private func webhook(_ notification: Notification, _ target: WebhookTarget) throws(DeliveryError) {
        let data = NotificationData(notification, externalURL: externalURL)
        var headers = [(name: "Content-Type", value: target.contentType)]
        if let token = target.bearerToken { headers.append((name: "Authorization", value: "Bearer \(token.value)")) }
        for header in target.headers {
            let value = try templated { () throws(TemplateError) in try header.value.expand(data, maxBytes: 8 << 10) }
            headers.append((name: header.name, value: EmailMessage.singleLine(value)))
        }
        for header in target.secretHeaders { headers.append((name: header.name, value: header.value.value)) }
        let body: [UInt8]
        if let template = target.body {
            body = Array(try templated { () throws(TemplateError) in try template.expand(data) }.utf8)
        } else {
            body = NotificationPayload.webhook(notification, externalURL: externalURL)
        }
        try post(target.url, body, headers, target.timeout)
    }

    static func hostname() -> String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Errors name the destination by its scheme, host and port only: a URL's path and query may
    /// carry a secret (a Telegram bot's token, a chat system's webhook key), and errors are logged.
    private func post(
        _ url: String, _ body: [UInt8], _ headers: [(name: String, value: String)], _ timeout: Duration,
        named what: String? = nil
    ) throws(DeliveryError) {
        let response = client.performWaiting(
            HTTPRequest(
                url: url, method: "POST", headers: headers, body: body, timeout: timeout, followRedirects: false))
        let name = [what, NotificationDelivery.origin(of: url)].compactMap { $0 }.joined(separator: " ")
        guard let status = response.status else {
            throw DeliveryError("\(name): \(response.failure.map { "\($0)" } ?? "no answer")")
        }
        guard (200..<300).contains(status) else { throw DeliveryError("\(name) answered HTTP \(status)") }
    }

    /// `https://host:port` of a URL, without user, path or query.
    static func origin(of url: String) -> String {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme, let host = parts.host else {
            return "the configured URL"
        }
        return "\(scheme)://\(host)" + (parts.port.map { ":\($0)" } ?? "")
    }

    // MARK: syslog

    private func syslog(_ notification: Notification, _ target: NotifierConfig.SyslogTarget) throws(DeliveryError) {
        let hostname = NotificationDelivery.hostname()
        let messages = NotificationPayload.syslog(
            notification, facility: target.facility, appName: target.appName, hostname: hostname,
            processID: getpid())
        switch target.transport {
        case .unix(let path):
            let socket = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            guard socket >= 0 else { throw DeliveryError("syslog: cannot open a socket: \(errnoText())") }
            defer { close(socket) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
                throw DeliveryError("syslog: socket path too long")
            }
            withUnsafeMutableBytes(of: &address.sun_path) { buffer in
                buffer.copyBytes(from: bytes)
                buffer[bytes.count] = 0
            }
            for message in messages {
                let data = Array(message.utf8)
                let sent = withUnsafePointer(to: &address) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(socket, data, data.count, 0, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                    }
                }
                guard sent == data.count else { throw DeliveryError("syslog: cannot send to \(path): \(errnoText())") }
            }
        case .udp(let host, let port):
            let (socket, address, length) = try connectedSocket(host, port, type: SOCK_DGRAM)
            defer { close(socket) }
            _ = address
            _ = length
            for message in messages {
                let data = Array(message.utf8)
                guard send(socket, data, data.count, 0) == data.count else {
                    throw DeliveryError("syslog: cannot send to udp://\(host):\(port): \(errnoText())")
                }
            }
        case .tcp(let host, let port):
            let (socket, _, _) = try connectedSocket(host, port, type: SOCK_STREAM)
            defer { close(socket) }
            // RFC 6587 octet counting: each message preceded by its length, so newlines cannot split it.
            var frame: [UInt8] = []
            for message in messages {
                let data = Array(message.utf8)
                frame += Array("\(data.count) ".utf8) + data
            }
            var offset = 0
            while offset < frame.count {
                let written = frame[offset...].withUnsafeBytes {
                    send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                guard written > 0 else {
                    throw DeliveryError("syslog: cannot send to tcp://\(host):\(port): \(errnoText())")
                }
                offset += written
            }
        }
    }

    private func connectedSocket(_ host: String, _ port: Int, type: __socket_type) throws(DeliveryError)
        -> (Int32, Int, Int)
    {
        var hints = addrinfo()
        hints.ai_socktype = Int32(type.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw DeliveryError("syslog: cannot resolve \(host)")
        }
        defer { freeaddrinfo(list) }
        let socket = Glibc.socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard socket >= 0 else { throw DeliveryError("syslog: cannot open a socket: \(errnoText())") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connect(socket, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let reason = errnoText()
            close(socket)
            throw DeliveryError("syslog: cannot connect to \(host):\(port): \(reason)")
        }
        return (socket, 0, 0)
    }

    private func errnoText() -> String { String(cString: strerror(errno)) }

    // MARK: exec

    /// Runs the command (no shell) with the webhook JSON on its standard input and `IOC_ALERT_*`
    /// variables; alert data never becomes an argument. Killed at the timeout.
    private func exec(_ notification: Notification, _ command: [String], _ timeout: Duration) throws(DeliveryError) {
        // A hook that does not read its input closes the pipe: the write must fail, not kill iocd.
        NotificationDelivery.ignoreBrokenPipes()
        let child: ChildProcess
        do {
            child = try ChildProcess(
                command[0], Array(command.dropFirst()),
                environment: NotificationDelivery.environment(for: notification),
                input: .pipe)
        } catch {
            throw DeliveryError("exec \(command[0]): \(error)")
        }
        children.add(child)
        defer { children.remove(child) }
        let body = NotificationPayload.webhook(notification, externalURL: externalURL)
        // A command that does not read its input must not block the sender: written on another thread.
        let feeder = BackgroundThread(name: "ioc-exec-input")
        feeder.start { _ in child.write(input: body) }
        let limit = timeout.inMilliseconds
        guard let status = child.waitBlocking(milliseconds: limit) else {
            child.signal(SIGTERM)
            if child.waitBlocking(milliseconds: 2_000) == nil {
                child.signal(SIGKILL)
                _ = child.waitBlocking(milliseconds: 10_000)
            }
            throw DeliveryError("exec \(command[0]): killed after \(timeout.prometheusString)")
        }
        guard status == 0 else {
            throw DeliveryError(
                status > 128
                    ? "exec \(command[0]): ended by signal \(status - 128)"
                    : "exec \(command[0]): exited with status \(status)")
        }
    }

    /// SIGPIPE ignored for the process, once: as every server does, so that writing to a closed pipe
    /// or socket is an error (EPIPE), not the end of the daemon.
    static func ignoreBrokenPipes() { _ = ignoredBrokenPipes }
    private static let ignoredBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// `IOC_ALERT_STATUS`, `IOC_ALERT_RECEIVER`, `IOC_ALERT_COUNT`, `IOC_ALERT_GROUP_KEY` and one
    /// `IOC_ALERT_LABEL_<NAME>` per group label (names upper-cased; values as they are: the
    /// environment is data, never parsed by a shell here).
    static func environment(for notification: Notification) -> [String: String] {
        var environment = [
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "IOC_ALERT_STATUS": notification.isFiring ? "firing" : "resolved",
            "IOC_ALERT_RECEIVER": notification.receiver,
            "IOC_ALERT_COUNT": String(notification.alerts.count),
            "IOC_ALERT_GROUP_KEY": notification.groupKey,
        ]
        for pair in notification.groupLabels.pairs {
            let name = String(
                pair.name.uppercased().unicodeScalars.map {
                    ("A"..."Z").contains($0) || ("0"..."9").contains($0) ? Character($0) : "_"
                })
            environment["IOC_ALERT_LABEL_" + name] = pair.value.replacingOccurrences(of: "\0", with: "")
        }
        return environment.mapValues { $0.replacingOccurrences(of: "\0", with: "") }
    }
}

/// Children started by exec hooks and still running.
private final class RunningChildren: Sendable {
    private let running = Mutex<[Int32: ChildProcess]>([:])

    func add(_ child: ChildProcess) { running.withLock { $0[child.pid] = child } }
    func remove(_ child: ChildProcess) { _ = running.withLock { $0.removeValue(forKey: child.pid) } }
    func terminateAll() { running.withLock { $0.values.forEach { $0.signal(SIGTERM) } } }
}

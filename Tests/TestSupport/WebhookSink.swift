import Foundation
import Glibc
import Synchronization

/// A loopback UDP port that was free a moment ago, for a server the test starts on it.
public func freeUDPPort() -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Accepts the next connection on `listener`, waiting out what a loaded machine makes passing (a
/// signal, a connection reset before it was taken, descriptors or buffers short for a moment): a
/// test server whose thread ended on one of those answered nothing again, and its clients timed
/// out for the rest of the test. Nil once `stillWanted` says the server is stopping, or on an
/// error that will not pass (the listener closed).
public func acceptConnection(_ listener: Int32, while stillWanted: () -> Bool) -> Int32? {
    while stillWanted() {
        let connection = accept(listener, nil, nil)
        if connection >= 0 { return connection }
        switch errno {
        case EINTR, ECONNABORTED, EPROTO: continue
        case EMFILE, ENFILE, ENOBUFS, ENOMEM, EAGAIN: usleep(50_000)
        default: return nil
        }
    }
    return nil
}

/// A minimal HTTP server on 127.0.0.1 that answers every request 200 and keeps the bodies: the other
/// end of a webhook. Started on a given port, so that a test can start it after the daemon that
/// posts to it (a receiver that comes back). `stop()` ends it (its thread holds it until then).
public final class WebhookSink: @unchecked Sendable {
    public let port: Int
    private let listener: Int32
    /// Each request read whole: its request line and header lines, its path and its body.
    private let received = Mutex<[(head: String, path: String, body: [UInt8])]>([])
    private let running = Atomic<Bool>(true)
    private let accepted = Atomic(0)
    private let answered = Atomic(0)
    private let incomplete = Atomic(0)
    private let acceptEnded = Mutex<String?>(nil)
    /// What every request is answered with: a feed for a probe to scrape, or nothing.
    private let answerBody: [UInt8]

    /// Listens on `port`; 0 takes a free port, which `port` then tells.
    public init(port: Int, answering body: String = "") throws {
        answerBody = Array(body.utf8)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(descriptor, 64) == 0 else {
            close(descriptor)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        listener = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in self.serve() }
        thread.start()
    }

    public func stop() {
        guard running.exchange(false, ordering: .relaxed) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// The requests received so far: path and body.
    public var requests: [(path: String, body: String)] {
        received.withLock { $0.map { ($0.path, String(decoding: $0.body, as: UTF8.self)) } }
    }

    /// The bodies received so far as they came, for binary ones (a remote-write request).
    public var bodies: [[UInt8]] { received.withLock { $0.map(\.body) } }

    /// The request line and header lines of each request, in the order of `requests`.
    public var requestHeads: [String] { received.withLock { $0.map(\.head) } }

    /// How the sink has fared, for a failing test's message: connections taken, requests read whole,
    /// connections that ended (or timed out) before a whole request, and why accepting stopped.
    public var diagnosis: String {
        let ended = acceptEnded.withLock { $0 }
        return "sink on \(port): \(accepted.load(ordering: .relaxed)) connections, "
            + "\(answered.load(ordering: .relaxed)) requests answered, "
            + "\(incomplete.load(ordering: .relaxed)) without a whole request"
            + (ended.map { ", accepting ended: \($0)" } ?? "")
    }

    /// Takes connections and serves each on a thread of its own: a client that connects and says
    /// nothing, or speaks something else (a TLS probe of another test that reached this port once
    /// its owner had let it go), holds only its own connection, not every client after it.
    private func serve() {
        while running.load(ordering: .relaxed) {
            guard let connection = acceptConnection(listener, while: { running.load(ordering: .relaxed) }) else {
                let error = errno
                acceptEnded.withLock {
                    $0 = running.load(ordering: .relaxed) ? String(cString: strerror(error)) : "stopped"
                }
                return
            }
            accepted.add(1, ordering: .relaxed)
            Thread.detachNewThread { [self] in answer(connection) }
        }
    }

    /// Reads one request on `connection` (its head, then as many bytes as Content-Length says), keeps
    /// it, and answers 200 with the sink's body, closing the connection.
    private func answer(_ connection: Int32) {
        defer { close(connection) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let separator = Array("\r\n\r\n".utf8)
        var request: (head: String, body: [UInt8])?
        while request == nil {
            let count = read(connection, &buffer, buffer.count)
            if count <= 0 { break }
            data += buffer[0..<count]
            guard let end = Self.firstIndex(of: separator, in: data) else { continue }
            let head = String(decoding: data[..<end], as: UTF8.self)
            let length =
                head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            let bodyStart = end + separator.count
            if data.count - bodyStart >= length { request = (head, Array(data[bodyStart..<(bodyStart + length)])) }
        }
        if let request {
            let path = request.head.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
            received.withLock { $0.append((request.head, path, request.body)) }
            answered.add(1, ordering: .relaxed)
        } else {
            incomplete.add(1, ordering: .relaxed)
        }
        let answer =
            Array(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(answerBody.count)\r\nConnection: close\r\n\r\n"
                    .utf8) + answerBody
        // MSG_NOSIGNAL: a client that gave up (its timeout) must not end the test with SIGPIPE.
        _ = send(connection, answer, answer.count, Int32(MSG_NOSIGNAL))
    }

    /// Where `needle` first starts in `bytes`.
    private static func firstIndex(of needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        return (0...(bytes.count - needle.count)).first { start in
            bytes[start..<(start + needle.count)].elementsEqual(needle)
        }
    }
}

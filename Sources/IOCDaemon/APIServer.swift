import Foundation
import IOCCore
import IOCQuery
import IOCStore
import NIOCore
import NIOHTTP1
import NIOPosix
import IOCHTTPServer
import Synchronization

/// A request to iocd's HTTP listener, after NIO has read it.
struct APIRequest: Sendable {
    var method: String
    var path: String
    /// Query and form parameters in order (`match[]` may repeat).
    var parameters: [(String, String)]
    var headers: [(String, String)]
    /// The body, as sent (a JSON silence for Alertmanager's API).
    var body: String?
    /// Set when the client goes away or the server stops: a query still running ends early.
    var cancellation = QueryCancellation()

    /// What Go's `url.ParseQuery` reported first about the query string or form body (a broken
    /// escape, a semicolon), in its words; the pairs it concerns are left out, as Go leaves them.
    /// Most endpoints answer without them; `/api/v1/series` refuses the request, as Prometheus does.
    var formError: String?

    /// `a=1&match%5B%5D=up&b=x+y`: decoded names and values, in order. Split on the bytes `&` and
    /// `=`, as Go's `url.ParseQuery` does, not character by character (slower, at every request,
    /// and a `&` followed by a combining mark did not split).
    static func parameters(_ text: String) -> [(String, String)] { parse(text).parameters }

    /// The parameters and the first fault, as Go's `url.ParseQuery` gives them: a pair holding a
    /// `;` or a broken escape (in its name or its value) is left out and reported.
    static func parse(_ text: String) -> (parameters: [(String, String)], error: String?) {
        var text = text
        return text.withUTF8 { bytes in
            var result: [(String, String)] = []
            var error: String?
            var start = 0
            while start < bytes.count {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.count
                let pair = UnsafeBufferPointer(rebasing: bytes[start..<end])
                start = end + 1
                if pair.contains(UInt8(ascii: ";")) {
                    error = error ?? "invalid semicolon separator in query"
                    continue
                }
                let equals = pair.firstIndex(of: UInt8(ascii: "=")) ?? pair.count
                let rawName = UnsafeBufferPointer(rebasing: pair[..<equals])
                let rawValue = UnsafeBufferPointer(rebasing: pair[Swift.min(equals + 1, pair.count)...])
                guard let name = decode(bytes: rawName), let value = decode(bytes: rawValue) else {
                    error = error ?? brokenEscape(in: decode(bytes: rawName) == nil ? rawName : rawValue)
                    continue
                }
                if !name.isEmpty { result.append((name, value)) }
            }
            return (result, error)
        }
    }

    /// Go's words for the first broken escape in `bytes`: `invalid URL escape "%zz"`, the `%` and
    /// at most two bytes after it, quoted as Go's `strconv.Quote` quotes (`\\a`, `\\x01`), with
    /// `\\xNN` for the bytes of a character the two bytes cut in half.
    private static func brokenEscape(in bytes: UnsafeBufferPointer<UInt8>) -> String {
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, hexValue(bytes[index + 1]) != nil, hexValue(bytes[index + 2]) != nil
                else { break }
                index += 3
            } else {
                index += 1
            }
        }
        let escape = bytes[index..<Swift.min(index + 3, bytes.count)]
        // The text is UTF-8, so only the end of the three bytes can be part of a character.
        var whole = escape.count
        while whole > 0, String(validating: escape.prefix(whole), as: UTF8.self) == nil { whole -= 1 }
        let quoted = ControlCharacters.goQuoted(String(decoding: escape.prefix(whole), as: UTF8.self))
        // Bytes of 0x80 and above: never one of Go's lettered escapes.
        let cut = escape.dropFirst(whole).map { ControlCharacters.goEscape(UInt32($0)) }.joined()
        return "invalid URL escape " + quoted.dropLast() + cut + "\""
    }

    /// The value of a hexadecimal digit, nil for any other byte.
    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// `+` as a space and `%XX` as its byte, over the UTF-8 bytes (Foundation's
    /// `removingPercentEncoding` took a tenth of a small query's time); nil for a `%` not followed
    /// by two hex digits. Bytes that are not UTF-8 become U+FFFD (Foundation's answer there
    /// depends on the bytes), and the query then fails to parse with a clear error.
    static func decode(_ text: String) -> String? {
        let utf8 = text.utf8
        if let string = utf8.withContiguousStorageIfAvailable({ decode(bytes: $0) }) { return string }
        let copy = Array(utf8)
        return copy.withUnsafeBufferPointer { decode(bytes: $0) }
    }

    private static func decode(bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard bytes.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]),
                    let low = hexValue(bytes[index + 2])
                else { return nil }
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    /// A request from its method, target (`/api/v1/query?query=up`), headers and form body.
    init(method: String, target: String, headers: [(String, String)], body: String?) {
        let question = target.utf8.firstIndex(of: UInt8(ascii: "?"))
        let query =
            question.map { APIRequest.parse(String(target[target.index(after: $0)...])) } ?? (
                parameters: [], error: nil
            )
        var parameters = query.parameters
        var formError = query.error
        if method == "POST", APIRequest.isForm(APIRequest.header("content-type", in: headers)), let body {
            // Go reads the body first: its values come before the query string's (`first` takes
            // them), and its fault before the query string's.
            let form = APIRequest.parse(body)
            parameters = form.parameters + parameters
            formError = form.error ?? formError
        }
        let path = question.map { String(target[..<$0]) } ?? target
        self.init(method: method, path: path.isEmpty ? "/" : path, parameters: parameters, headers: headers, body: body)
        self.formError = formError
    }

    init(
        method: String, path: String, parameters: [(String, String)], headers: [(String, String)], body: String? = nil
    ) {
        self.method = method
        self.path = path
        self.parameters = parameters
        self.headers = headers
        self.body = body
    }

    /// A form body, by its media type in any case, parameters after it (as Go's `mime.ParseMediaType` reads it).
    static func isForm(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let type = contentType.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces)
        return type.lowercased() == "application/x-www-form-urlencoded"
    }

    func first(_ name: String) -> String? { parameters.first { $0.0 == name }?.1 }

    /// The first header named `name` (lower case), whatever the case it came in.
    func header(_ name: String) -> String? { APIRequest.header(name, in: headers) }

    /// Compared byte by byte in ASCII, without a lowercased copy of every header's name.
    static func header(_ name: String, in headers: [(String, String)]) -> String? {
        headers.first { header in
            header.0.utf8.elementsEqual(name.utf8) { given, wanted in
                (given >= UInt8(ascii: "A") && given <= UInt8(ascii: "Z") ? given | 0x20 : given) == wanted
            }
        }?.1
    }
    func all(_ name: String) -> [String] { parameters.filter { $0.0 == name }.map(\.1) }
}

struct APIResponse: Sendable {
    var status: Int
    var contentType: String
    /// The body as written: text, or a query's JSON as the bytes it was written into (a range
    /// answer of megabytes then goes to the connection without becoming a `String` on the way).
    var payload: Payload

    enum Payload: Sendable {
        case text(String)
        case bytes([UInt8])
    }

    init(status: Int, contentType: String, body: String) {
        self.init(status: status, contentType: contentType, payload: .text(body))
    }

    init(status: Int, contentType: String, payload: Payload) {
        self.status = status
        self.contentType = contentType
        self.payload = payload
    }

    /// The body as text.
    var body: String {
        switch payload {
        case .text(let text): text
        case .bytes(let bytes): String(decoding: bytes, as: UTF8.self)
        }
    }

    static func json(_ body: String, status: Int = 200) -> APIResponse {
        APIResponse(status: status, contentType: "application/json", body: body)
    }

    static func json(bytes: [UInt8]) -> APIResponse {
        APIResponse(status: 200, contentType: "application/json", payload: .bytes(bytes))
    }

    /// Prometheus' error answer: `{"status":"error","errorType":"bad_data","error":"..."}`.
    static func error(_ message: String, type: String = "bad_data", status: Int = 400) -> APIResponse {
        json(
            #"{"status":"error","errorType":\#(PrometheusWire.json(type)),"error":\#(PrometheusWire.json(message))}"#,
            status: status)
    }
}

/// iocd's HTTP listener: NIO reads requests on one event loop; answering them (SQLite reads, query
/// evaluation) happens on a small pool of threads of its own, never on the event loop and never on
/// Swift's cooperative pool. Idle connections are closed after 30 s, requests over 1 MB refused.
final class APIServer: Sendable {
    private let listener: HTTPListener
    private let pool: NIOThreadPool
    private let running: RunningRequests
    var port: Int { listener.port }

    init(
        host: String, port: Int, running: RunningRequests = RunningRequests(),
        handler: @escaping @Sendable (APIRequest) -> APIResponse
    ) async throws {
        let pool = NIOThreadPool(numberOfThreads: 2)
        let costs = RequestCosts()
        pool.start()
        self.pool = pool
        self.running = running
        do {
            // Its headers are constants and lengths, never request data: NIO's check of them is left out.
            listener = try await HTTPListener(
                host: host, port: port, idleTimeout: .seconds(30), validatesHeaders: false
            ) {
                APIHandler(pool: pool, running: running, costs: costs, handler: handler)
            }
        } catch {
            try? await pool.shutdownGracefully()
            throw error
        }
    }

    func stop() async {
        // Queries still running end now with `canceled`, so that stopping never waits on them.
        running.cancelAll()
        await listener.stop()
        try? await pool.shutdownGracefully()
    }
}

/// How long each kind of request took when last answered, so that one known to be quick (a
/// dashboard's panel asked again every refresh, an `absent` probe) is answered on the event loop
/// instead of on the pool: the two hand-offs between threads cost more than such an answer
/// (0.1 ms of 0.2, measured beside VictoriaMetrics, BENCHMARKS.md). A request is quick after
/// one answer under a millisecond; a slower answer, even on the loop, sends it back to the pool,
/// so a misjudged request holds the loop once. Requests differing only in their evaluation time
/// are one kind.
final class RequestCosts: Sendable {
    static let quick = Duration.milliseconds(1)
    static let capacity = 1024
    private let taken = Mutex<[String: Duration]>([:])

    /// The kind of `request`: its path and parameters but the evaluation time.
    static func kind(of request: APIRequest) -> String {
        var kind = request.path
        for (name, value) in request.parameters where name != "time" && name != "_" {
            kind += "&" + name + "=" + value
        }
        return kind
    }

    func isQuick(_ kind: String) -> Bool {
        taken.withLock { $0[kind].map { $0 < RequestCosts.quick } ?? false }
    }

    /// Kinds longer than this are not remembered (they go to the pool): 1,024 kinds of up to 64 KB
    /// each would otherwise hold 64 MB of a client's choosing.
    static let longestKind = 2048

    func record(_ kind: String, since start: ContinuousClock.Instant) {
        guard kind.utf8.count <= RequestCosts.longestKind else { return }
        let elapsed = start.duration(to: .now)
        taken.withLock { costs in
            // Forgotten all at once when full: a few requests go to the pool again.
            if costs.count >= RequestCosts.capacity, costs[kind] == nil { costs.removeAll(keepingCapacity: true) }
            costs[kind] = elapsed
        }
    }
}

/// The cancellations of requests being answered, so that stopping the server ends them.
final class RunningRequests: Sendable {
    private let requests = Mutex<[ObjectIdentifier: QueryCancellation]>([:])

    func add(_ cancellation: QueryCancellation) {
        requests.withLock { $0[ObjectIdentifier(cancellation)] = cancellation }
    }

    func remove(_ cancellation: QueryCancellation) {
        _ = requests.withLock { $0.removeValue(forKey: ObjectIdentifier(cancellation)) }
    }

    var count: Int { requests.withLock { $0.count } }

    func cancelAll() {
        requests.withLock { $0.values.forEach { $0.cancel() } }
    }
}

private final class APIHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let pool: NIOThreadPool
    private let running: RunningRequests
    private let costs: RequestCosts
    private let handler: @Sendable (APIRequest) -> APIResponse
    /// The request being answered on the pool, if any: cancelled when the client goes away.
    private var current: QueryCancellation?
    private var collector = HTTPRequestCollector(maxBody: 1 << 20)
    static let immediatePaths: Set<String> = ["/-/healthy", "/-/ready", "/metrics"]
    static let maxQueued = 64

    init(
        pool: NIOThreadPool, running: RunningRequests, costs: RequestCosts,
        handler: @escaping @Sendable (APIRequest) -> APIResponse
    ) {
        self.pool = pool
        self.running = running
        self.costs = costs
        self.handler = handler
    }

    func channelInactive(context: ChannelHandlerContext) {
        current?.cancel()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            // A connection waiting for its answer is not idle: the query has its own timeout.
            if current == nil { context.close(promise: nil) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let collected = collector.take(unwrapInboundIn(data)) else { return }
        let head = collected.head
        let keepAlive = head.isKeepAlive
        if collected.tooLarge {
            send(.error("the request is larger than 1 MB", status: 413), head: head, keepAlive: false, context: context)
            return
        }
        let request = APIRequest(
            method: head.method.rawValue, target: head.uri, headers: head.headers.map { ($0.name, $0.value) },
            body: collected.body)
        let handler = self.handler
        // Health and /metrics touch no store and answer at once, on this loop: a queue of slow
        // queries must not make systemd, Prometheus or an operator think iocd is gone.
        if APIHandler.immediatePaths.contains(request.path) {
            send(handler(request), head: head, keepAlive: keepAlive, context: context)
            return
        }
        // Beyond this many requests waiting or running, more are refused rather than queued
        // without bound (Prometheus' --query.max-concurrency makes them wait; here they would
        // wait behind two threads).
        guard running.count < APIHandler.maxQueued else {
            send(
                .error("too many requests are being answered; try again", type: "unavailable", status: 503),
                head: head, keepAlive: keepAlive, context: context)
            return
        }
        let kind = RequestCosts.kind(of: request)
        let costs = self.costs
        if costs.isQuick(kind) {
            let start = ContinuousClock.now
            let response = handler(request)
            costs.record(kind, since: start)
            send(response, head: head, keepAlive: keepAlive, context: context)
            return
        }
        let loop = context.eventLoop
        let running = self.running
        current = request.cancellation
        running.add(request.cancellation)
        // The answer is worked out on the pool; the future completes on this channel's loop.
        pool.runIfActive(eventLoop: loop) {
            let start = ContinuousClock.now
            defer { costs.record(kind, since: start) }
            return handler(request)
        }.assumeIsolated().whenComplete { result in
            running.remove(request.cancellation)
            self.current = nil
            let response = (try? result.get()) ?? .error("the server is stopping", type: "unavailable", status: 503)
            self.send(response, head: head, keepAlive: keepAlive, context: context)
        }
    }

    private func send(_ response: APIResponse, head: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext) {
        let headers = [(name: "Content-Type", value: response.contentType)]
        switch response.payload {
        case .text(let text):
            context.writeResponse(
                status: response.status, headers: headers, body: text, version: head.version, keepAlive: keepAlive)
        case .bytes(let bytes):
            context.writeResponse(
                status: response.status, headers: headers, bytes: bytes, version: head.version, keepAlive: keepAlive)
        }
    }
}

import IOCHTTPServer
import NIOCore
import NIOHTTP1
import NIOPosix

/// The simulator's HTTP server: serves a `SimulatedWorld` on a loopback (or any) address.
public final class Simulator: Sendable {
    public let world: SimulatedWorld
    private let listener: HTTPListener

    /// The port the server is bound to (useful when started on port 0).
    public var port: Int { listener.port }
    public let host: String

    /// Binds and starts serving; port 0 picks a free port.
    public init(world: SimulatedWorld, host: String = "127.0.0.1", port: Int = 0) async throws {
        self.world = world
        self.host = host
        listener = try await HTTPListener(host: host, port: port) { SimulatorHandler(world: world) }
    }

    /// The base URL of the server, e.g. `http://127.0.0.1:17000`.
    public var baseURL: String {
        host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
    }

    /// Stops accepting connections and shuts the event loop down.
    public func stop() async { await listener.stop() }
}

/// Answers each request from the world, after the response's simulated latency.
private final class SimulatorHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let world: SimulatedWorld
    /// Request bodies beyond 64 KB are not kept (the echo endpoint is for small test bodies).
    private var collector = HTTPRequestCollector(maxBody: 64 * 1024)

    init(world: SimulatedWorld) { self.world = world }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let collected = collector.take(unwrapInboundIn(data)) else { return }
        let head = collected.head
        let request = SimulatedRequest(
            method: head.method.rawValue, path: head.uri,
            headers: head.headers.map { (name: $0.name, value: $0.value) }, body: collected.body)
        let response = world.respond(to: request)
        let keepAlive = head.isKeepAlive
        let version = head.version
        if response.delayMilliseconds > 0 {
            context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(response.delayMilliseconds))) {
                self.send(response, version: version, keepAlive: keepAlive, context: context)
            }
        } else {
            send(response, version: version, keepAlive: keepAlive, context: context)
        }
    }

    private func send(
        _ response: SimulatedResponse, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext
    ) {
        guard context.channel.isActive else { return }
        var headers = [(name: "Content-Type", value: response.contentType)]
        if let location = response.location { headers.append((name: "Location", value: location)) }
        switch response.body {
        case .hang:
            // Headers are never sent; the connection stays open until the client gives up.
            return
        case .text(let text):
            context.writeResponse(
                status: response.status, headers: headers, body: text, version: version, keepAlive: keepAlive)
        case .drip(let every, let maxBytes):
            writeStreamedHead(response.status, headers, version: version, context: context)
            context.flush()
            drip(remaining: maxBytes, every: every, context: context)
        case .chunks(let count, let chunk):
            writeStreamedHead(response.status, headers, version: version, context: context)
            stream(index: 0, count: count, chunk: chunk, context: context)
        }
    }

    /// The head of a streamed body: without a length, ending with the connection, so a client never
    /// waits for another response.
    private func writeStreamedHead(
        _ status: Int, _ extra: [(name: String, value: String)], version: HTTPVersion, context: ChannelHandlerContext
    ) {
        var headers = HTTPHeaders()
        for header in extra { headers.add(name: header.name, value: header.value) }
        headers.add(name: "Connection", value: "close")
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
    }

    private func finish(keepAlive: Bool, context: ChannelHandlerContext) {
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            done.whenComplete { _ in loopContext.value.close(promise: nil) }
        }
    }

    /// Writes one byte, then schedules the next, until the client leaves or `remaining` runs out.
    private func drip(remaining: Int, every milliseconds: Int, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        guard remaining > 0 else { return finish(keepAlive: false, context: context) }
        var buffer = context.channel.allocator.buffer(capacity: 1)
        buffer.writeString("x")
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(milliseconds))) {
            self.drip(remaining: remaining - 1, every: milliseconds, context: context)
        }
    }

    /// Writes chunk after chunk, each once the previous one is flushed, so memory stays bounded however
    /// large the body.
    private func stream(
        index: Int, count: Int, chunk: @escaping @Sendable (Int) -> String, context: ChannelHandlerContext
    ) {
        guard context.channel.isActive else { return }
        guard index < count else { return finish(keepAlive: false, context: context) }
        let text = chunk(index)
        var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer)))).assumeIsolated().whenSuccess {
            self.stream(index: index + 1, count: count, chunk: chunk, context: context)
        }
    }
}

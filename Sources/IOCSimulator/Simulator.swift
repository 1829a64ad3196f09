import NIOCore
import NIOHTTP1
import NIOPosix

/// The simulator's HTTP server: serves a `SimulatedWorld` on a loopback (or any) address.
public final class Simulator: Sendable {
    public let world: SimulatedWorld
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel

    /// The port the server is bound to (useful when started on port 0).
    public let port: Int
    public let host: String

    /// Binds and starts serving; port 0 picks a free port.
    public init(world: SimulatedWorld, host: String = "127.0.0.1", port: Int = 0) async throws {
        self.world = world
        self.host = host
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(SimulatorHandler(world: world))
                    }
                }
                .bind(host: host, port: port)
                .get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        self.port = channel.localAddress?.port ?? port
    }

    /// The base URL of the server, e.g. `http://127.0.0.1:17000`.
    public var baseURL: String {
        host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
    }

    /// Stops accepting connections and shuts the event loop down.
    public func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

/// Answers each request from the world, after the response's simulated latency.
private final class SimulatorHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let world: SimulatedWorld
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    /// Request bodies beyond this are not kept (the echo endpoint is for small test bodies).
    private let maxBody = 64 * 1024

    init(world: SimulatedWorld) { self.world = world }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var part):
            if body.readableBytes + part.readableBytes <= maxBody { body.writeBuffer(&part) }
        case .end:
            guard let head else { return }
            self.head = nil
            let request = SimulatedRequest(
                method: head.method.rawValue, path: head.uri,
                headers: head.headers.map { (name: $0.name, value: $0.value) },
                body: body.readString(length: body.readableBytes) ?? "")
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
    }

    private func send(
        _ response: SimulatedResponse, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext
    ) {
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        if let location = response.location { headers.add(name: "Location", value: location) }
        var keepAlive = keepAlive
        switch response.body {
        case .hang:
            // Headers are never sent; the connection stays open until the client gives up.
            return
        case .text(let text):
            headers.add(name: "Content-Length", value: String(text.utf8.count))
        case .drip, .chunks:
            // Streamed bodies end with the connection, so a client never waits for another response.
            keepAlive = false
        }
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let head = HTTPResponseHead(
            version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        switch response.body {
        case .hang:
            return
        case .text(let text):
            var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
            buffer.writeString(text)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            finish(keepAlive: keepAlive, context: context)
        case .drip(let every, let maxBytes):
            context.flush()
            drip(remaining: maxBytes, every: every, context: context)
        case .chunks(let count, let chunk):
            stream(index: 0, count: count, chunk: chunk, context: context)
        }
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

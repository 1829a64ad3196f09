public import NIOCore
public import NIOHTTP1
import NIOPosix

/// IOC's one HTTP server bootstrap, for iocd's listener and the simulator: one event loop, a
/// listening socket with a backlog of 256 and SO_REUSEADDR, and for each connection NIO's HTTP/1.1
/// server pipeline, an optional idle timeout, and the handler `makeHandler` gives.
///
/// SwiftNIO directly rather than a web framework: measured beside Hummingbird 2 (BENCHMARKS.md), it
/// answers sooner and builds in half the time, and IOC's two servers need no routing of their own.
public final class HTTPListener: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    /// The port bound (the one asked for, or the one the kernel chose for port 0).
    public let port: Int

    /// Binds `host:port` (0: a free port) and starts serving. `validatesHeaders: false` leaves out
    /// NIO's check of outbound header names and values, for a server whose headers never carry
    /// anything from a request (iocd's listener: a tenth of a small answer's time).
    public init(
        host: String, port: Int, idleTimeout: TimeAmount? = nil, validatesHeaders: Bool = true,
        makeHandler: @escaping @Sendable () -> any ChannelHandler
    ) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let idleTimeout {
                            try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: idleTimeout))
                        }
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                            withOutboundHeaderValidation: validatesHeaders)
                        try channel.pipeline.syncOperations.addHandler(makeHandler())
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

    /// Stops accepting connections, closes the open ones and ends the event loop.
    public func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

/// A request as NIO's HTTP decoder hands it over in parts, collected: its head, and its body up
/// to `maxBody` bytes (beyond that the body is dropped and `tooLarge` says so).
public struct HTTPRequestCollector {
    public struct Request {
        public var head: HTTPRequestHead
        public var body: String
        public var tooLarge: Bool
    }

    private let maxBody: Int
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var tooLarge = false

    public init(maxBody: Int) { self.maxBody = maxBody }

    /// Takes one part; returns the request when its end has come.
    public mutating func take(_ part: HTTPServerRequestPart) -> Request? {
        switch part {
        case .head(let head):
            self.head = head
            body.clear()
            tooLarge = false
        case .body(var bytes):
            if body.readableBytes + bytes.readableBytes <= maxBody {
                body.writeBuffer(&bytes)
            } else {
                tooLarge = true
            }
        case .end:
            guard let head else { return nil }
            self.head = nil
            return Request(head: head, body: body.readString(length: body.readableBytes) ?? "", tooLarge: tooLarge)
        }
        return nil
    }
}

extension ChannelHandlerContext {
    /// Writes a whole response with a text body and `Content-Length`, then closes the connection
    /// unless it is kept alive. Does nothing on a connection already closed.
    public func writeResponse(
        status: Int, headers extra: [(name: String, value: String)], body: String, version: HTTPVersion,
        keepAlive: Bool
    ) {
        var buffer = channel.allocator.buffer(capacity: body.utf8.count)
        buffer.writeString(body)
        writeResponse(status: status, headers: extra, buffer: buffer, version: version, keepAlive: keepAlive)
    }

    /// `writeResponse` with a body of bytes (JSON written straight into them).
    public func writeResponse(
        status: Int, headers extra: [(name: String, value: String)], bytes: [UInt8], version: HTTPVersion,
        keepAlive: Bool
    ) {
        writeResponse(
            status: status, headers: extra, buffer: channel.allocator.buffer(bytes: bytes), version: version,
            keepAlive: keepAlive)
    }

    private func writeResponse(
        status: Int, headers extra: [(name: String, value: String)], buffer: ByteBuffer, version: HTTPVersion,
        keepAlive: Bool
    ) {
        guard channel.isActive else { return }
        var headers = HTTPHeaders()
        for header in extra { headers.add(name: header.name, value: header.value) }
        headers.add(name: "Content-Length", value: String(buffer.readableBytes))
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: status), headers: headers)
        write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
        let context = NIOLoopBound(self, eventLoop: eventLoop)
        writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in
            if !keepAlive { context.value.close(promise: nil) }
        }
    }
}

import NIOCore
import NIOHTTP1
import NIOPosix

// iocd's listener reduced to its HTTP layer: NIO reads the request on one event loop, the answer
// is worked out on a thread pool (as iocd does for SQLite reads), and written back on the loop.
let body = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}"

final class Handler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let pool: NIOThreadPool
    var head: HTTPRequestHead?
    init(pool: NIOThreadPool) { self.pool = pool }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            let keepAlive = head.isKeepAlive
            pool.runIfActive(eventLoop: context.eventLoop) { body }.assumeIsolated().whenComplete { result in
                let text = (try? result.get()) ?? ""
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: String(text.utf8.count))
                context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
                var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
                buffer.writeString(text)
                context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
                context.writeAndFlush(self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                    if !keepAlive { context.close(promise: nil) }
                }
            }
        }
    }
}

let port = Int(CommandLine.arguments.dropFirst().first ?? "0") ?? 0
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let pool = NIOThreadPool(numberOfThreads: 2)
pool.start()
let channel = try await ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 256)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
            try channel.pipeline.syncOperations.addHandler(Handler(pool: pool))
        }
    }
    .bind(host: "127.0.0.1", port: port).get()
try await channel.closeFuture.get()

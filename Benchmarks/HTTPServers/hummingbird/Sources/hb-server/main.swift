import Hummingbird
import NIOPosix

// The same answer as the NIO server: a small JSON body like an instant query's.
let body = String(repeating: "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}", count: 1)
// The answer is worked out on a thread pool, as SQLite reads must not block the cooperative pool.
let pool = NIOThreadPool(numberOfThreads: 2)
pool.start()
let router = Router()
router.get("/api/v1/query") { request, _ -> Response in
    _ = request.uri.queryParameters["query"]
    let text = try await pool.runIfActive { body }
    var buffer = ByteBuffer()
    buffer.writeString(text)
    return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
}
let port = Int(CommandLine.arguments.dropFirst().first ?? "0") ?? 0
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()

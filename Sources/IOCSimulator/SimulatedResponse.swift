/// An HTTP request as the simulator sees it.
public struct SimulatedRequest: Sendable {
    public var method: String
    public var path: String
    public var headers: [(name: String, value: String)]
    public var body: String

    public init(method: String, path: String, headers: [(name: String, value: String)] = [], body: String = "") {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }
}

/// How a simulated response body is delivered.
public enum SimulatedBody: Sendable {
    /// The whole body at once, with a Content-Length.
    case text(String)
    /// Nothing, ever: the headers are never sent and the connection stays open until the client leaves.
    case hang
    /// One byte every so often, up to `maxBytes` (a slow-drip body).
    case drip(everyMilliseconds: Int, maxBytes: Int)
    /// `count` chunks, each made on demand and written as fast as the client reads (an endless or a
    /// huge body, without holding it in memory).
    case chunks(count: Int, chunk: @Sendable (Int) -> String)
}

/// A simulated HTTP response and how long to wait before sending it.
public struct SimulatedResponse: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: SimulatedBody
    public var delayMilliseconds: Int
    /// A Location header, for redirects.
    public var location: String?

    public init(
        status: Int, contentType: String = "application/json; charset=utf-8", body: SimulatedBody,
        delayMilliseconds: Int = 0, location: String? = nil
    ) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.delayMilliseconds = delayMilliseconds
        self.location = location
    }

    /// The body when it is plain text.
    public var text: String? {
        if case .text(let text) = body { return text }
        return nil
    }

    public static func json(_ status: Int, _ body: String, delayMilliseconds: Int = 0) -> SimulatedResponse {
        SimulatedResponse(status: status, body: .text(body), delayMilliseconds: delayMilliseconds)
    }

    public static let notFound = SimulatedResponse.json(404, "{\"error\":\"not found\"}")

    /// Responses compare by status, type, delay and text; streamed bodies compare by kind only.
    public static func == (lhs: SimulatedResponse, rhs: SimulatedResponse) -> Bool {
        guard lhs.status == rhs.status, lhs.contentType == rhs.contentType,
            lhs.delayMilliseconds == rhs.delayMilliseconds, lhs.location == rhs.location
        else { return false }
        switch (lhs.body, rhs.body) {
        case (.text(let left), .text(let right)): return left == right
        case (.hang, .hang): return true
        case (.drip(let a, let b), .drip(let c, let d)): return a == c && b == d
        case (.chunks(let left, _), .chunks(let right, _)): return left == right
        default: return false
        }
    }
}

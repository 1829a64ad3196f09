/// One HTTP transfer to perform. Every HTTP client call of the project is described by one of these
/// and carried out by `HTTPClient` over libcurl.
public struct HTTPRequest: Sendable {
    public var url: String
    public var method: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    /// The whole transfer, from resolving the name to the last byte, must end within this.
    public var timeout: Duration
    /// A response body longer than this ends the transfer with `HTTPFailure.Kind.bodyTooLarge`.
    public var maxBodyBytes: Int
    public var followRedirects: Bool
    public var maxRedirects: Int

    public init(
        url: String,
        method: String = "GET",
        headers: [(name: String, value: String)] = [],
        body: [UInt8]? = nil,
        timeout: Duration = .seconds(10),
        maxBodyBytes: Int = 1 << 20,
        followRedirects: Bool = true,
        maxRedirects: Int = 10
    ) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
        self.followRedirects = followRedirects
        self.maxRedirects = maxRedirects
    }
}

/// How long each phase of a transfer took, in seconds, with blackbox_exporter's phase names.
public struct HTTPTimings: Sendable, Equatable {
    public var resolve: Double = 0
    public var connect: Double = 0
    public var tls: Double = 0
    /// From the request being sent (connection and TLS done) to the first byte of the response.
    public var processing: Double = 0
    /// From the first byte of the response to the last.
    public var transfer: Double = 0
    /// The whole transfer, as libcurl measured it.
    public var total: Double = 0

    public init() {}
}

/// Why a transfer did not produce a response, in the terms an operator thinks in.
public struct HTTPFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case dns
        case connect
        case tls
        case timeout
        case bodyTooLarge = "body_too_large"
        case invalidRequest = "invalid_request"
        case other
    }

    public var kind: Kind
    /// libcurl's own words, with its error buffer's detail where it has one.
    public var message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}

/// What came back from a transfer: a response, or a failure, with the timings either way.
public struct HTTPResponse: Sendable {
    /// The final HTTP status (after redirects), or nil when no response arrived.
    public var status: Int?
    public var body: [UInt8]
    public var timings: HTTPTimings
    public var redirects: Int
    public var failure: HTTPFailure?

    public init(status: Int?, body: [UInt8], timings: HTTPTimings, redirects: Int, failure: HTTPFailure?) {
        self.status = status
        self.body = body
        self.timings = timings
        self.redirects = redirects
        self.failure = failure
    }
}

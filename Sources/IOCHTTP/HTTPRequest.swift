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
    /// Open a new connection (and TLS session) for this transfer and close it after, so that connect
    /// and handshake are measured every time and the certificate chain is always seen. On for probes.
    /// Such a connection ends with a reset (`SO_LINGER` 0), leaving nothing in TIME_WAIT here.
    public var freshConnection: Bool
    /// Stop once connected (and, for `https`, once the TLS handshake is done): a TCP or TLS probe.
    public var connectOnly: Bool
    public var ipVersion: IPVersion
    public var tls: TLSOptions

    public init(
        url: String,
        method: String = "GET",
        headers: [(name: String, value: String)] = [],
        body: [UInt8]? = nil,
        timeout: Duration = .seconds(10),
        maxBodyBytes: Int = 1 << 20,
        followRedirects: Bool = true,
        maxRedirects: Int = 10,
        freshConnection: Bool = false,
        connectOnly: Bool = false,
        ipVersion: IPVersion = .any,
        tls: TLSOptions = TLSOptions()
    ) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
        self.followRedirects = followRedirects
        self.maxRedirects = maxRedirects
        self.freshConnection = freshConnection
        self.connectOnly = connectOnly
        self.ipVersion = ipVersion
        self.tls = tls
    }
}

/// Which address family to connect over.
public enum IPVersion: String, Sendable, CaseIterable {
    case any
    case v4 = "4"
    case v6 = "6"
}

/// TLS settings of a transfer. Verification of the peer's certificate and host name is on unless
/// `verify` is explicitly turned off.
public struct TLSOptions: Sendable, Equatable {
    /// PEM bundle of the certificate authorities to trust instead of the system's.
    public var caFile: String?
    /// Client certificate and key (PEM) for mutual TLS.
    public var certificateFile: String?
    public var keyFile: String?
    public var minimumVersion: TLSVersion?
    public var verify: Bool
    /// Read the peer's certificate chain, for its expiry dates.
    public var collectCertificates: Bool

    public init(
        caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil,
        minimumVersion: TLSVersion? = nil, verify: Bool = true, collectCertificates: Bool = true
    ) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.minimumVersion = minimumVersion
        self.verify = verify
        self.collectCertificates = collectCertificates
    }
}

public enum TLSVersion: String, Sendable, CaseIterable {
    case tls10 = "1.0"
    case tls11 = "1.1"
    case tls12 = "1.2"
    case tls13 = "1.3"
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
        case tooManyRedirects = "redirects"
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
    /// The Content-Length the server announced, if it announced one.
    public var contentLength: Int64? = nil
    /// Whether the connection used TLS.
    public var usedTLS = false
    /// Expiry of each certificate of the peer's chain, in seconds since the epoch.
    public var certificateExpiries: [Int64] = []
    /// The HTTP version of the response: 1.0, 1.1, 2 or 3; 0 when there was none.
    public var httpVersion: Double = 0
    /// The response's Content-Type header, if any.
    public var contentType: String? = nil
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

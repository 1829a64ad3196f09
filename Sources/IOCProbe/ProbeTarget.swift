public import IOCCore
public import IOCHTTP

/// One endpoint to probe, fully resolved from the probe files: its series labels, what to probe and
/// how, and when.
public struct ProbeTarget: Sendable {
    public enum Kind: Sendable {
        case http(HTTPProbe)
        case tcp(TCPProbe)
        case feed(FeedProbe)
    }

    /// The labels every series of this target carries: `job`, `instance`, and the configured ones.
    public var labels: Labels
    public var kind: Kind
    public var interval: Duration
    public var timeout: Duration
    /// Where the target was defined, for messages about it.
    public var location: SourceLocation

    public init(labels: Labels, kind: Kind, interval: Duration, timeout: Duration, location: SourceLocation) {
        self.labels = labels
        self.kind = kind
        self.interval = interval
        self.timeout = timeout
        self.location = location
    }

    /// An HTTP target with default settings, as tests and `ioc probe` make them.
    public init(labels: Labels, url: String, interval: Duration, timeout: Duration, location: SourceLocation) {
        self.init(
            labels: labels, kind: .http(HTTPProbe(url: url)), interval: interval, timeout: timeout, location: location)
    }

    public var job: String { labels["job"] ?? "" }
    public var instance: String { labels["instance"] ?? "" }

    /// The URL or address probed.
    public var address: String {
        switch kind {
        case .http(let http): http.url
        case .tcp(let tcp): tcp.address
        case .feed(let feed): feed.http.url
        }
    }
}

/// How to probe an HTTP(S) endpoint and what its answer must satisfy.
public struct HTTPProbe: Sendable {
    public enum Authorization: Sendable {
        case basic(username: String, password: Secret)
        case bearer(Secret)
    }

    public var url: String
    public var method: String = "GET"
    public var headers: [(name: String, value: String)] = []
    public var body: String?
    public var authorization: Authorization?
    public var followRedirects = true
    public var maxRedirects = 10
    public var ipVersion: IPVersion = .any
    public var tls = TLSOptions()
    /// Without a status expectation, any 2xx status is accepted.
    public var expectations: [Expectation] = []
    /// Response bodies longer than this fail the probe (reason `body_too_large`).
    public var maxBodyBytes = 1 << 20

    public init(url: String) { self.url = url }

    /// The expectations in force: the configured ones, with "status 2xx, critical" added when none
    /// concerns the status.
    public var effectiveExpectations: [Expectation] {
        let hasStatus = expectations.contains {
            if case .status = $0.check { return true }
            return false
        }
        return hasStatus ? expectations : [Expectation(.status([200...299]))] + expectations
    }
}

/// How to probe a TCP port: connect (and, with `tls`, complete a TLS handshake), nothing more.
public struct TCPProbe: Sendable {
    public var host: String
    public var port: Int
    public var useTLS = false
    public var ipVersion: IPVersion = .any
    public var tls = TLSOptions()
    /// Only `maxLatency` and `minCertificateDays` apply to TCP probes.
    public var expectations: [Expectation] = []

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, with brackets around an IPv6 address.
    public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

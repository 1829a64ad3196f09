import Foundation
import IOCCore
import IOCHTTP

/// The probe settings a group gives all its targets and a target may override, read from a mapping.
/// Every field is optional here; `apply` fills a probe from the settings that were written.
struct ProbeSettings {
    static let keys = [
        "method", "headers", "body", "basic_auth", "bearer_token", "follow_redirects", "max_redirects",
        "ip_version", "tls", "expect", "max_body_size", "tcp_tls",
    ]
    /// The settings that make sense for HTTP targets only.
    static let httpOnlyKeys = [
        "method", "headers", "body", "basic_auth", "bearer_token", "follow_redirects", "max_redirects", "max_body_size",
    ]

    var method: String?
    var headers: [(name: String, value: String)]?
    var body: String?
    var authorization: HTTPProbe.Authorization?
    var followRedirects: Bool?
    var maxRedirects: Int?
    var ipVersion: IPVersion?
    var tls: TLSOptions?
    var expectations: [Expectation]?
    var maxBodyBytes: Int?
    var tcpTLS: Bool?
    /// Where each written key is, for errors about settings that do not apply.
    var written: [String: ConfigNode] = [:]

    init() {}

    init(from mapping: ConfigMapping) throws(ConfigError) {
        for key in ProbeSettings.keys { if let node = mapping[key] { written[key] = node } }
        if let node = mapping["method"] {
            let text = try node.string("'method'").uppercased()
            guard ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"].contains(text) else {
                throw node.error(
                    "'\(text)' is not an HTTP method; expected GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS")
            }
            method = text
        }
        if let node = mapping["headers"] {
            headers = try node.labelsFree("'headers'")
        }
        if let node = mapping["body"] { body = try node.string("'body'") }
        if let node = mapping["basic_auth"] {
            let auth = try node.mapping(of: "'basic_auth'", allowedKeys: ["username", "password_file", "password_env"])
            let username = try auth.required("username").string("the user name")
            authorization = .basic(
                username: username, password: try Secret.read(from: auth, prefix: "password_", what: "password"))
        }
        if let node = mapping["bearer_token"] {
            let token = try node.mapping(of: "'bearer_token'", allowedKeys: ["file", "env"])
            authorization = .bearer(try Secret.read(from: token, prefix: "", what: "bearer token"))
        }
        if mapping["basic_auth"] != nil, let node = mapping["bearer_token"] {
            throw node.error("use either 'basic_auth' or 'bearer_token', not both")
        }
        if let node = mapping["follow_redirects"] { followRedirects = try node.bool("'follow_redirects'") }
        if let node = mapping["max_redirects"] {
            let count = try node.int("'max_redirects'")
            guard (0...50).contains(count) else { throw node.error("'max_redirects' must be between 0 and 50") }
            maxRedirects = count
        }
        if let node = mapping["ip_version"] {
            let text = try node.string("'ip_version'")
            guard let version = IPVersion(rawValue: text) else {
                throw node.error("'\(text)' is not an IP version; expected any, 4 or 6")
            }
            ipVersion = version
        }
        if let node = mapping["tls"] { tls = try ProbeSettings.tls(node) }
        if let node = mapping["expect"] {
            expectations = try node.sequence(of: "'expect'").map { item throws(ConfigError) in
                try ProbeSettings.expectation(item)
            }
        }
        if let node = mapping["max_body_size"] {
            let size = try node.int("'max_body_size' (bytes)")
            guard size > 0 else { throw node.error("'max_body_size' must be a positive number of bytes") }
            maxBodyBytes = size
        }
        if let node = mapping["tcp_tls"] { tcpTLS = try node.bool("'tcp_tls'") }
    }

    /// These settings with `override`'s written fields taking their place.
    func overridden(by override: ProbeSettings) -> ProbeSettings {
        var merged = self
        merged.method = override.method ?? method
        merged.headers = override.headers ?? headers
        merged.body = override.body ?? body
        merged.authorization = override.authorization ?? authorization
        merged.followRedirects = override.followRedirects ?? followRedirects
        merged.maxRedirects = override.maxRedirects ?? maxRedirects
        merged.ipVersion = override.ipVersion ?? ipVersion
        merged.tls = override.tls ?? tls
        merged.expectations = override.expectations ?? expectations
        merged.maxBodyBytes = override.maxBodyBytes ?? maxBodyBytes
        merged.tcpTLS = override.tcpTLS ?? tcpTLS
        merged.written.merge(override.written) { $1 }
        return merged
    }

    func apply(to probe: inout HTTPProbe) throws(ConfigError) {
        if let node = written["tcp_tls"] { throw node.error("'tcp_tls' applies to tcp targets only") }
        if let method { probe.method = method }
        if let headers { probe.headers = headers }
        probe.body = body
        probe.authorization = authorization
        if let followRedirects { probe.followRedirects = followRedirects }
        if let maxRedirects { probe.maxRedirects = maxRedirects }
        if let ipVersion { probe.ipVersion = ipVersion }
        if let tls { probe.tls = tls }
        if let expectations { probe.expectations = expectations }
        if let maxBodyBytes { probe.maxBodyBytes = maxBodyBytes }
    }

    func apply(to feed: inout FeedProbe) throws(ConfigError) {
        for key in ["method", "body", "expect", "tcp_tls"] {
            if let node = written[key] { throw node.error("'\(key)' does not apply to feeds") }
        }
        if let headers { feed.http.headers += headers }
        feed.http.authorization = authorization
        if let followRedirects { feed.http.followRedirects = followRedirects }
        if let maxRedirects { feed.http.maxRedirects = maxRedirects }
        if let ipVersion { feed.http.ipVersion = ipVersion }
        if let tls { feed.http.tls = tls }
        if let maxBodyBytes { feed.http.maxBodyBytes = maxBodyBytes }
    }

    func apply(to probe: inout TCPProbe) throws(ConfigError) {
        for key in ProbeSettings.httpOnlyKeys {
            if let node = written[key] { throw node.error("'\(key)' applies to HTTP targets only, not to tcp targets") }
        }
        if let ipVersion { probe.ipVersion = ipVersion }
        if let tls { probe.tls = tls }
        if let tcpTLS { probe.useTLS = tcpTLS }
        if let expectations, let place = written["expect"] {
            if let unfit = expectations.first(where: { !$0.appliesToTCP }) {
                throw place.error(
                    "'\(unfit)' cannot be checked on a tcp target; only max_latency and min_cert_days can")
            }
            probe.expectations = expectations
        }
    }

    private static func tls(_ node: ConfigNode) throws(ConfigError) -> TLSOptions {
        let mapping = try node.mapping(
            of: "'tls'", allowedKeys: ["ca_file", "cert_file", "key_file", "min_version", "insecure_skip_verify"])
        var options = TLSOptions()
        func readableFile(_ key: String) throws(ConfigError) -> String? {
            guard let fileNode = mapping[key] else { return nil }
            let path = try fileNode.filePath("'\(key)'")
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw fileNode.error("cannot read '\(path)' for '\(key)'")
            }
            return path
        }
        options.caFile = try readableFile("ca_file")
        options.certificateFile = try readableFile("cert_file")
        options.keyFile = try readableFile("key_file")
        if (options.certificateFile == nil) != (options.keyFile == nil) {
            throw node.error("a client certificate needs both 'cert_file' and 'key_file'")
        }
        if let versionNode = mapping["min_version"] {
            let text = try versionNode.string("'min_version'")
            guard let version = TLSVersion(rawValue: text) else {
                throw versionNode.error("'\(text)' is not a TLS version; expected 1.0, 1.1, 1.2 or 1.3")
            }
            options.minimumVersion = version
        }
        if let verifyNode = mapping["insecure_skip_verify"] {
            options.verify = !(try verifyNode.bool("'insecure_skip_verify'"))
        }
        return options
    }

    static let checkKeys = ["status", "body_matches", "body_not_matches", "json", "max_latency", "min_cert_days"]

    private static func expectation(_ node: ConfigNode) throws(ConfigError) -> Expectation {
        let mapping = try node.mapping(of: "an expectation", allowedKeys: checkKeys + ["severity"])
        let present = checkKeys.filter { mapping[$0] != nil }
        guard present.count == 1, let key = present.first, let value = mapping[key] else {
            throw node.error(
                "an expectation has exactly one of: \(checkKeys.joined(separator: ", ")) (and optionally 'severity')")
        }
        var severity = Expectation.Severity.critical
        if let severityNode = mapping["severity"] {
            let text = try severityNode.string("'severity'")
            guard let parsed = Expectation.Severity(rawValue: text) else {
                throw severityNode.error("'\(text)' is not a severity; expected critical or warning")
            }
            severity = parsed
        }
        let check: Expectation.Check
        switch key {
        case "status":
            let items: [ConfigNode]
            if case .sequence(let list) = value.value { items = list } else { items = [value] }
            var ranges: [ClosedRange<Int>] = []
            for item in items {
                let text = try item.string("a status")
                guard let range = Expectation.statusRange(text) else {
                    throw item.error(
                        "'\(text)' is not a status; expected a code (200), a class (2xx) or a range (200-299)")
                }
                ranges.append(range)
            }
            guard !ranges.isEmpty else { throw value.error("'status' needs at least one code") }
            check = .status(ranges)
        case "body_matches", "body_not_matches":
            let text = try value.string("a regular expression")
            do {
                let pattern = try BodyPattern(text)
                check = key == "body_matches" ? .bodyMatches(pattern) : .bodyDoesNotMatch(pattern)
            } catch {
                throw value.error("'\(text)' is not a valid regular expression")
            }
        case "json":
            do {
                check = .json(try JSONCondition(parsing: try value.string("a JSON condition")))
            } catch let error as JSONConditionError {
                throw value.error(error.description)
            } catch {
                throw error as? ConfigError ?? value.error("\(error)")
            }
        case "max_latency":
            check = .maxLatency(try value.duration("'max_latency'"))
        default:
            let days = try value.int("'min_cert_days'")
            guard days >= 0 else { throw value.error("'min_cert_days' cannot be negative") }
            check = .minCertificateDays(days)
        }
        return Expectation(check, severity: severity)
    }
}

extension ConfigNode {
    /// A mapping of header names to values (any non-empty names, unlike labels).
    fileprivate func labelsFree(_ what: String) throws(ConfigError) -> [(name: String, value: String)] {
        guard case .mapping(let entries) = value else {
            throw error("expected \(what) as a mapping of names to values")
        }
        var pairs: [(name: String, value: String)] = []
        for entry in entries {
            guard !entry.key.isEmpty, !entry.key.contains(":"), !entry.key.contains(" ") else {
                throw ConfigError(at: entry.keyLocation, "'\(entry.key)' is not a header name")
            }
            let text = try entry.value.string("the value of header '\(entry.key)'")
            guard !text.contains("\n"), !text.contains("\r") else {
                throw entry.value.error("a header value must be one line")
            }
            pairs.append((entry.key, text))
        }
        return pairs
    }
}

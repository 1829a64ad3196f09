import Foundation
import Synchronization

/// A provincial-level unit as the simulator presents it.
public struct SimulatedProvince: Sendable, Hashable {
    public var code: String
    public var name: String
    /// The ASCII path segment of its endpoints, e.g. `ho-chi-minh`.
    public var slug: String

    public init(code: String, name: String, slug: String) {
        self.code = code
        self.name = name
        self.slug = slug
    }
}

/// A public-service system every simulated province runs.
public struct SimulatedService: Sendable, Hashable {
    public var id: String
    public var name: String
    /// Typical latency of its health endpoint.
    public var baseLatencyMilliseconds: Int

    public init(id: String, name: String, baseLatencyMilliseconds: Int) {
        self.id = id
        self.name = name
        self.baseLatencyMilliseconds = baseLatencyMilliseconds
    }
}

/// What the simulator answers: which provinces and services exist, which are broken, how slow they are.
/// Responses are deterministic for a given seed and request order.
public final class SimulatedWorld: Sendable {
    public let provinces: [SimulatedProvince]
    public let services: [SimulatedService]
    /// Health endpoints that answer HTTP 500, as `slug/service`.
    public let failing: Set<String>
    /// Health endpoints that answer, but slowly, as `slug/service` with their latency in ms.
    public let slow: [String: Int]
    private let random: Mutex<SplitMix64>

    public init(
        provinces: [SimulatedProvince], services: [SimulatedService], failing: Set<String>,
        slow: [String: Int], seed: UInt64
    ) {
        self.provinces = provinces
        self.services = services
        self.failing = failing
        self.slow = slow
        self.random = Mutex(SplitMix64(seed: seed))
    }

    /// The built-in demo world: five provinces with their real names, three services each,
    /// one endpoint failing and one slow.
    public static func demo(seed: UInt64 = 1) -> SimulatedWorld {
        SimulatedWorld(
            provinces: [
                SimulatedProvince(code: "01", name: "Hà Nội", slug: "ha-noi"),
                SimulatedProvince(code: "46", name: "Huế", slug: "hue"),
                SimulatedProvince(code: "48", name: "Đà Nẵng", slug: "da-nang"),
                SimulatedProvince(code: "79", name: "Hồ Chí Minh", slug: "ho-chi-minh"),
                SimulatedProvince(code: "92", name: "Cần Thơ", slug: "can-tho"),
            ],
            services: [
                SimulatedService(id: "dvc", name: "Cổng dịch vụ công", baseLatencyMilliseconds: 40),
                SimulatedService(id: "motcua", name: "Hệ thống một cửa điện tử", baseLatencyMilliseconds: 60),
                SimulatedService(id: "lgsp", name: "Nền tảng LGSP", baseLatencyMilliseconds: 25),
            ],
            failing: ["can-tho/lgsp"],
            slow: ["ho-chi-minh/motcua": 900],
            seed: seed)
    }

    /// A response to a GET of `path`, with the delay before it should be sent.
    public func respond(to path: String) -> SimulatedResponse {
        respond(to: SimulatedRequest(method: "GET", path: path))
    }

    /// A response to `request`, with the delay before it should be sent.
    public func respond(to request: SimulatedRequest) -> SimulatedResponse {
        let path = request.path
        let parts = path.split(separator: "?", maxSplits: 1).first.map { $0.split(separator: "/") } ?? []
        switch parts.count {
        case 0:
            return .json(200, index())
        case 2 where parts[0] == "test" && parts[1] == "echo":
            return .json(200, echo(request))
        case 2 where parts[0] == "feeds" && parts[1] == "dossiers.json":
            return .json(200, dossierFeed())
        case 3 where parts[0] == "test" && parts[1] == "delay":
            guard let milliseconds = Int(parts[2]), (0...60_000).contains(milliseconds) else { return .notFound }
            return SimulatedResponse(
                status: 200, body: "{\"delayed_ms\":\(milliseconds)}", delayMilliseconds: milliseconds)
        case 3 where parts[0] == "test" && parts[1] == "status":
            guard let status = Int(parts[2]), (100...599).contains(status) else { return .notFound }
            return .json(status, "{\"status\":\(status)}")
        case 3 where parts[2] == "health":
            return health(province: String(parts[0]), service: String(parts[1]))
        default:
            return .notFound
        }
    }

    private func health(province slug: String, service id: String) -> SimulatedResponse {
        guard let province = provinces.first(where: { $0.slug == slug }),
            let service = services.first(where: { $0.id == id })
        else { return .notFound }
        let key = "\(slug)/\(id)"
        let base = slow[key] ?? service.baseLatencyMilliseconds
        // Jitter of up to half the base latency either way.
        let jitter = random.withLock { $0.next() } % UInt64(max(1, base))
        let latency = base / 2 + Int(jitter)
        let up = !failing.contains(key)
        let body =
            "{\"status\":\"\(up ? "UP" : "DOWN")\",\"province\":\"\(province.name)\",\"service\":\"\(service.name)\"}"
        return SimulatedResponse(status: up ? 200 : 500, body: body, delayMilliseconds: latency)
    }

    /// The request as JSON, so that tests see what a probe really sent.
    private func echo(_ request: SimulatedRequest) -> String {
        func quoted(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case let control where control.value < 0x20: out += String(format: "\\u%04x", control.value)
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
        let headers = request.headers.map { "\(quoted($0.name.lowercased())):\(quoted($0.value))" }.joined(
            separator: ",")
        return "{\"method\":\(quoted(request.method)),\"path\":\(quoted(request.path)),\"headers\":{\(headers)},"
            + "\"body\":\(quoted(request.body))}"
    }

    private func index() -> String {
        let endpoints = provinces.flatMap { province in
            services.map { "\"/\(province.slug)/\($0.id)/health\"" }
        }
        return "{\"endpoints\":[\(endpoints.joined(separator: ","))],\"feeds\":[\"/feeds/dossiers.json\"]}"
    }

    private func dossierFeed() -> String {
        let items = provinces.map { province in
            let received = 500 + Int(random.withLock { $0.next() } % 500)
            let onTime = received * 9 / 10
            let online = received * 6 / 10
            return "{\"province_code\":\"\(province.code)\",\"province\":\"\(province.name)\","
                + "\"received\":\(received),\"processed_on_time\":\(onTime),\"processed_late\":\(received - onTime),"
                + "\"submitted_online\":\(online)}"
        }
        return "{\"provinces\":[\(items.joined(separator: ","))]}"
    }

    /// A probe file (`probes/*.yaml`) for every health endpoint, pointed at `baseURL`.
    public func probeFile(baseURL: String, interval: String = "5s", timeout: String = "2s") -> String {
        var text = "# Probes for the IOC simulator at \(baseURL), written by `ioc simulate`.\ngroups:\n"
        for province in provinces {
            text += "  - name: \(province.slug)\n"
            text += "    interval: \(interval)\n    timeout: \(timeout)\n"
            text += "    labels:\n      province: \"\(province.name)\"\n      province_code: \"\(province.code)\"\n"
            text += "    targets:\n"
            for service in services {
                text += "      - url: \(baseURL)/\(province.slug)/\(service.id)/health\n"
                text += "        labels: { service: \(service.id) }\n"
            }
        }
        return text
    }
}

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

/// A simulated HTTP response and how long to wait before sending it.
public struct SimulatedResponse: Sendable, Equatable {
    public var status: Int
    public var body: String
    public var delayMilliseconds: Int

    public static func json(_ status: Int, _ body: String) -> SimulatedResponse {
        SimulatedResponse(status: status, body: body, delayMilliseconds: 0)
    }

    public static let notFound = SimulatedResponse(status: 404, body: "{\"error\":\"not found\"}", delayMilliseconds: 0)
}

/// A small, fast, seedable generator, so that a simulator run can be repeated exactly.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

import Foundation
public import IOCCore
import Synchronization

/// What the simulator answers, for a scenario and a seed. Each endpoint draws its latencies and errors
/// from its own sequence (seed, path, request number), so a run is repeatable whatever the order in
/// which endpoints are asked; outages and feed values follow the wall clock.
public final class SimulatedWorld: Sendable {
    public let scenario: SimulatorScenario
    public let seed: UInt64
    private let clock: @Sendable () -> Int64
    private let requestCounts = Mutex<[String: UInt64]>([:])
    private let downProvinces = Mutex<Set<String>>([])
    private let refusals = Mutex<[String: Int64]>([:])
    /// Feed values count from 1 July 2025, when the 34 provinces came into force.
    static let feedEpoch: Int64 = 1_751_328_000_000

    public init(
        scenario: SimulatorScenario, seed: UInt64, clock: @escaping @Sendable () -> Int64 = WallClock.nowMilliseconds
    ) {
        self.scenario = scenario
        self.seed = seed
        self.clock = clock
    }

    /// The world of the tests: `SimulatorScenario.demo`.
    public static func demo(seed: UInt64 = 1) -> SimulatedWorld {
        SimulatedWorld(scenario: .demo, seed: seed)
    }

    /// All 34 provinces, as `ioc simulate` serves them.
    public static func national(seed: UInt64 = 1) -> SimulatedWorld {
        SimulatedWorld(scenario: .national(seed: seed), seed: seed)
    }

    public var provinces: [Province] { scenario.provinces }

    /// Health requests answered so far, over all endpoints.
    public var healthRequests: UInt64 { requestCounts.withLock { $0.values.reduce(0, +) } }
    public var services: [SimulatedService] { scenario.services }

    /// A response to a GET of `path`, with the delay before it should be sent.
    public func respond(to path: String) -> SimulatedResponse {
        respond(to: SimulatedRequest(method: "GET", path: path))
    }

    /// A response to `request`, with the delay before it should be sent.
    public func respond(to request: SimulatedRequest) -> SimulatedResponse {
        let path = request.path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        let parts = path.split(separator: "/").map(String.init)
        switch (parts.count, parts.first) {
        case (0, _):
            return .json(200, index())
        case (2, "feeds") where parts[1] == "dossiers.json":
            return .json(200, SimulatedFeeds(world: self).json(at: clock()))
        case (2, "feeds") where parts[1] == "scorecard.json":
            // `?province=46` (or `hue`): one province's statistics, as its own DVC system publishes them.
            let wanted = Self.queryValue("province", in: request.path)
            let chosen = wanted.map { code in provinces.filter { $0.code == code || $0.slug == code } } ?? provinces
            return .json(200, SimulatedScorecard(seed: seed, provinces: chosen).json(at: clock()))
        case (2, "feeds") where parts[1] == "exchange.json":
            return .json(200, SimulatedExchanges(seed: seed, provinces: provinces).json(at: clock()))
        case (2, "feeds") where parts[1] == "metrics":
            return SimulatedResponse(
                status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8",
                body: .text(SimulatedFeeds(world: self).prometheusText(at: clock())))
        case (_, "test"):
            return TestEndpoints.respond(Array(parts.dropFirst()), request: request)
        case (3, _) where parts[2] == "health":
            return health(province: parts[0], service: parts[1], path: path)
        default:
            return .notFound
        }
    }

    /// Takes every service of a province down (503) until `restore`, or brings it back: an outage a
    /// test or a demo starts when it wants.
    public func takeDown(province slug: String) { downProvinces.withLock { _ = $0.insert(slug) } }
    public func restore(province slug: String) {
        downProvinces.withLock { _ = $0.remove(slug) }
        refusals.withLock { $0[slug] = nil }
    }

    /// When a health request of a province taken down was first answered 503, since `takeDown`.
    public func firstRefusal(of slug: String) -> Int64? { refusals.withLock { $0[slug] } }

    private static func queryValue(_ name: String, in path: String) -> String? {
        guard let query = path.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == name { return String(parts[1]).removingPercentEncoding }
        }
        return nil
    }

    private func health(province slug: String, service id: String, path: String) -> SimulatedResponse {
        guard let province = provinces.first(where: { $0.slug == slug }),
            let service = services.first(where: { $0.id == id })
        else { return .notFound }
        if downProvinces.withLock({ $0.contains(slug) }) {
            let now = clock()
            refusals.withLock { if $0[slug] == nil { $0[slug] = now } }
            return .json(503, "{\"status\":\"DOWN\",\"province\":\"\(province.name)\"}")
        }
        let key = "\(slug)/\(id)"
        var random = draws(for: path)
        let body = { (status: String) in
            "{\"status\":\"\(status)\",\"province\":\"\(province.name)\",\"province_code\":\"\(province.code)\","
                + "\"service\":\"\(service.name)\"}"
        }
        // A slow endpoint is slow every time (within 10 %), not slow on average with spikes past the
        // probes' timeout: the scenario means "slow", and a timeout would make it "down" by chance.
        let latency =
            scenario.slow[key].map { $0 * 9 / 10 + Int(random.next() % UInt64(max(1, $0 / 5))) }
            ?? self.latency(base: service.baseLatencyMilliseconds, &random)
        let now = clock()
        for outage in scenario.outages where outage.endpoint == key && outage.isActive(at: now) {
            switch outage.kind {
            case .hang: return SimulatedResponse(status: 503, body: .hang)
            case .error: return .json(503, body("DOWN"), delayMilliseconds: latency)
            }
        }
        if scenario.failing.contains(key) { return .json(500, body("DOWN"), delayMilliseconds: latency) }
        if scenario.errorRate > 0, random.unit() < scenario.errorRate {
            return .json(503, body("DOWN"), delayMilliseconds: latency)
        }
        return .json(200, body("UP"), delayMilliseconds: latency)
    }

    /// The next draws of an endpoint's own random sequence.
    private func draws(for path: String) -> SplitMix64 {
        let count = requestCounts.withLock { counts in
            defer { counts[path, default: 0] += 1 }
            return counts[path, default: 0]
        }
        return SplitMix64(seed: seed ^ StableHash.fnv1a(path) ^ (count &* 0x9E37_79B9_7F4A_7C15))
    }

    private func latency(base: Int, _ random: inout SplitMix64) -> Int {
        switch scenario.latency {
        case .uniform:
            return base / 2 + Int(random.next() % UInt64(max(1, base)))
        case .heavyTailed:
            // Log-normal with median `base` (Box-Muller), and a spike of 5-20x in 2% of requests.
            let normal = (-2 * log(max(random.unit(), 1e-12))).squareRoot() * cos(2 * .pi * random.unit())
            var value = Double(base) * exp(0.5 * normal)
            if random.unit() < 0.02 { value *= 5 + 15 * random.unit() }
            return min(30_000, max(1, Int(value)))
        }
    }

    private func index() -> String {
        let endpoints = provinces.flatMap { province in services.map { "\"/\(province.slug)/\($0.id)/health\"" } }
        return
            "{\"endpoints\":[\(endpoints.joined(separator: ","))],\"feeds\":[\"/feeds/dossiers.json\",\"/feeds/metrics\","
            + "\"/feeds/scorecard.json\",\"/feeds/exchange.json\"]}"
    }

    /// A probe group for `province`'s health endpoints, pointed at `baseURL`.
    func healthGroup(_ province: Province, baseURL: String, interval: String, timeout: String) -> String {
        var text = "  - name: \(province.slug)\n"
        text += "    interval: \(interval)\n    timeout: \(timeout)\n"
        text += "    labels:\n      province: \"\(province.name)\"\n      province_code: \"\(province.code)\"\n"
        text += "    expect:\n      - json: '$.status == \"UP\"'\n"
        text += "    targets:\n"
        for service in services {
            text += "      - url: \(baseURL)/\(province.slug)/\(service.id)/health\n"
            text += "        labels: { service: \(service.id) }\n"
        }
        return text
    }

    /// A province's centre's probe file: the health endpoints of `provinces` and each one's own
    /// Decision 766 statistics (`/feeds/scorecard.json?province=`), as its DVC system publishes them.
    public func centreProbeFile(
        baseURL: String, provinces: [Province], interval: String = "5s", timeout: String = "4s"
    ) -> String {
        var text = "groups:\n"
        for province in provinces {
            text += healthGroup(province, baseURL: baseURL, interval: interval, timeout: timeout)
            text += "  - name: \(province.slug)-statistics\n    interval: \(interval)\n    timeout: \(timeout)\n"
            text += "    targets:\n      - feed: '\(baseURL)/feeds/scorecard.json?province=\(province.code)'\n"
            text += SimulatedScorecard.probeMapping(indent: 8)
        }
        return text
    }

    /// A probe file (`probes/*.yaml`) for every health endpoint and both feeds, pointed at `baseURL`.
    public func probeFile(baseURL: String, interval: String = "5s", timeout: String = "4s") -> String {
        var text = "# Probes for the IOC simulator at \(baseURL), written by `ioc simulate`.\ngroups:\n"
        for province in provinces {
            text += healthGroup(province, baseURL: baseURL, interval: interval, timeout: timeout)
        }
        text += """
              - name: feeds
                interval: \(interval)
                timeout: \(timeout)
                targets:
                  - feed: \(baseURL)/feeds/metrics
                  - feed: \(baseURL)/feeds/dossiers.json
                    json:
                      items: '$.provinces[*]'
                      labels: { province: '$.province', province_code: '$.province_code' }
                      metrics:
                        ioc_dossiers_received: '$.received'
                        ioc_dossiers_processed_on_time: '$.processed_on_time'
                        ioc_dossiers_processed_late: '$.processed_late'
                        ioc_dossiers_submitted_online: '$.submitted_online'
                        ioc_dossiers_paid_online: '$.paid_online'
                  # Decision 766 statistics of the month so far and the month before (rules/scorecard-766.yaml).
                  - feed: \(baseURL)/feeds/scorecard.json

            """
        text += SimulatedScorecard.probeMapping(indent: 8)
        text += """
                  # Data-sharing connections: last exchange, records, expected rate, credential expiry.
                  - feed: \(baseURL)/feeds/exchange.json
                    json:
                      items: '$.connections[*]'
                      labels:
                        province: '$.province'
                        province_code: '$.province_code'
                        connection: '$.connection'
                        peer: '$.peer'
                      metrics:
                        exchange_last_success_timestamp_seconds: '$.last_success_unix'
                        exchange_records_total: '$.records_total'
                        exchange_expected_records_per_hour: '$.expected_per_hour'
                        exchange_credential_expiry_timestamp_seconds: '$.credential_expiry_unix'

            """
        return text
    }
}

/// The `/test/...` endpoints: fixed behaviours for tests and for trying IOC out.
enum TestEndpoints {
    static func respond(_ parts: [String], request: SimulatedRequest) -> SimulatedResponse {
        switch (parts.first, parts.count) {
        case ("delay", 2):
            guard let milliseconds = Int(parts[1]), (0...60_000).contains(milliseconds) else { return .notFound }
            return .json(200, "{\"delayed_ms\":\(milliseconds)}", delayMilliseconds: milliseconds)
        case ("status", 2):
            guard let status = Int(parts[1]), (100...599).contains(status) else { return .notFound }
            return .json(status, "{\"status\":\(status)}")
        case ("echo", 1):
            return .json(200, echo(request))
        case ("redirect", 2):
            // /test/redirect/N answers 302 to /test/redirect/N-1, and /test/redirect/0 answers 200.
            guard let hops = Int(parts[1]), (0...50).contains(hops) else { return .notFound }
            if hops == 0 { return .json(200, "{\"redirected\":true}") }
            return SimulatedResponse(
                status: 302, body: .text(""), delayMilliseconds: 0, location: "/test/redirect/\(hops - 1)")
        case ("hang", 1):
            return SimulatedResponse(status: 200, body: .hang)
        case ("drip", 1):
            return SimulatedResponse(
                status: 200, contentType: "text/plain", body: .drip(everyMilliseconds: 100, maxBytes: 1 << 20))
        case ("endless", 1):
            let chunk = String(repeating: "x", count: 65_536)
            return SimulatedResponse(
                status: 200, contentType: "text/plain", body: .chunks(count: 16_384, chunk: { _ in chunk }))
        case ("bytes", 2):
            guard let count = Int(parts[1]), (0...(64 << 20)).contains(count) else { return .notFound }
            let chunk = String(repeating: "x", count: 65_536)
            let full = count / 65_536
            let rest = String(repeating: "x", count: count % 65_536)
            return SimulatedResponse(
                status: 200, contentType: "text/plain",
                body: .chunks(count: full + (rest.isEmpty ? 0 : 1), chunk: { $0 < full ? chunk : rest }))
        case ("feed", 2):
            return FeedFixtures.response(parts[1]) ?? .notFound
        default:
            return .notFound
        }
    }

    /// The request as JSON, so that tests see what a probe really sent.
    static func echo(_ request: SimulatedRequest) -> String {
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
}

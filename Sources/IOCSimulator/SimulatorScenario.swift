public import IOCCore

/// A public-service system every simulated province runs.
public struct SimulatedService: Sendable, Hashable {
    public var id: String
    public var name: String
    /// Median latency of its health endpoint.
    public var baseLatencyMilliseconds: Int

    public init(id: String, name: String, baseLatencyMilliseconds: Int) {
        self.id = id
        self.name = name
        self.baseLatencyMilliseconds = baseLatencyMilliseconds
    }
}

/// A recurring outage of one endpoint: for `duration` out of every `period`, shifted by `phase`.
public struct SimulatedOutage: Sendable, Hashable {
    public enum Kind: String, Sendable {
        /// The endpoint answers 503.
        case error
        /// The endpoint accepts the connection and never answers.
        case hang
    }

    /// `slug/service`.
    public var endpoint: String
    public var kind: Kind
    public var periodMilliseconds: Int64
    public var durationMilliseconds: Int64
    public var phaseMilliseconds: Int64

    public init(
        endpoint: String, kind: Kind, periodMilliseconds: Int64, durationMilliseconds: Int64, phaseMilliseconds: Int64
    ) {
        self.endpoint = endpoint
        self.kind = kind
        self.periodMilliseconds = max(1, periodMilliseconds)
        self.durationMilliseconds = durationMilliseconds
        self.phaseMilliseconds = phaseMilliseconds
    }

    public func isActive(at time: Int64) -> Bool {
        ((time + phaseMilliseconds) % periodMilliseconds + periodMilliseconds) % periodMilliseconds
            < durationMilliseconds
    }
}

/// Which provinces and services a simulated world has, and what is wrong with them.
public struct SimulatorScenario: Sendable {
    public enum LatencyModel: Sendable {
        /// Uniform between half and one and a half times the base: predictable, for tests.
        case uniform
        /// Log-normal around the base with occasional spikes of 5 to 20 times: like real services.
        case heavyTailed
    }

    public var provinces: [Province]
    public var services: [SimulatedService]
    /// Health endpoints (`slug/service`) that always answer HTTP 500.
    public var failing: Set<String> = []
    /// Health endpoints that answer, but slowly: their median latency in ms.
    public var slow: [String: Int] = [:]
    public var outages: [SimulatedOutage] = []
    /// Share of requests to healthy endpoints that get a 503 anyway.
    public var errorRate: Double = 0
    public var latency: LatencyModel = .uniform

    public init(provinces: [Province], services: [SimulatedService]) {
        self.provinces = provinces
        self.services = services
    }

    public static let standardServices = [
        SimulatedService(id: "dvc", name: "Cổng dịch vụ công", baseLatencyMilliseconds: 80),
        SimulatedService(id: "motcua", name: "Hệ thống một cửa điện tử", baseLatencyMilliseconds: 120),
        SimulatedService(id: "lgsp", name: "Nền tảng tích hợp, chia sẻ dữ liệu (LGSP)", baseLatencyMilliseconds: 40),
        SimulatedService(id: "egov", name: "Quản lý văn bản và điều hành", baseLatencyMilliseconds: 100),
        SimulatedService(id: "mail", name: "Thư điện tử công vụ", baseLatencyMilliseconds: 60),
    ]

    /// Five provinces, three services, Cần Thơ's LGSP failing and Hồ Chí Minh's one-stop system slow,
    /// nothing random beyond latency jitter: the world the tests reason about.
    public static var demo: SimulatorScenario {
        var scenario = SimulatorScenario(
            provinces: ["01", "46", "48", "79", "92"].compactMap(ProvinceCatalogue.province(code:)),
            services: [
                SimulatedService(id: "dvc", name: "Cổng dịch vụ công", baseLatencyMilliseconds: 40),
                SimulatedService(id: "motcua", name: "Hệ thống một cửa điện tử", baseLatencyMilliseconds: 60),
                SimulatedService(id: "lgsp", name: "Nền tảng LGSP", baseLatencyMilliseconds: 25),
            ])
        scenario.failing = ["can-tho/lgsp"]
        scenario.slow = ["ho-chi-minh/motcua": 900]
        return scenario
    }

    /// All 34 provinces with five services each; which endpoints fail, are slow, or go through
    /// outages (some answering 503, one hanging) is drawn from `seed`, so a seed names one scenario.
    public static func national(seed: UInt64) -> SimulatorScenario {
        var scenario = SimulatorScenario(provinces: ProvinceCatalogue.current, services: standardServices)
        var random = SplitMix64(seed: seed)
        let endpoints = scenario.provinces.flatMap { province in scenario.services.map { "\(province.slug)/\($0.id)" } }
        var pool = endpoints
        func pick() -> String { pool.remove(at: Int(random.next() % UInt64(pool.count))) }
        scenario.failing = [pick()]
        // One slower than the 2 s of `ServiceSlow` (an alert), one slow but within it (no alert); both
        // well inside the probes' 4 s timeout.
        scenario.slow = [pick(): 2500 + Int(random.next() % 800), pick(): 800 + Int(random.next() % 800)]
        let minute: Int64 = 60_000
        scenario.outages = (0..<3).map { _ in
            SimulatedOutage(
                endpoint: pick(), kind: .error, periodMilliseconds: (10 + Int64(random.next() % 20)) * minute,
                durationMilliseconds: (1 + Int64(random.next() % 4)) * minute,
                phaseMilliseconds: Int64(random.next() % UInt64(30 * minute)))
        }
        scenario.outages.append(
            SimulatedOutage(
                endpoint: pick(), kind: .hang, periodMilliseconds: 15 * minute, durationMilliseconds: 3 * minute,
                phaseMilliseconds: Int64(random.next() % UInt64(15 * minute))))
        scenario.errorRate = 0.005
        scenario.latency = .heavyTailed
        return scenario
    }
}

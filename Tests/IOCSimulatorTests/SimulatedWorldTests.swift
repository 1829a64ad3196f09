import Foundation
import IOCSimulator
import Testing

@Suite struct SimulatedWorldTests {
    @Test func healthEndpointsAnswerWithLatencyAroundTheirBase() {
        let world = SimulatedWorld.demo()
        let response = world.respond(to: "/hue/dvc/health")
        #expect(response.status == 200)
        #expect(response.text?.contains(#""province":"Huế""#) == true)
        #expect((20..<60).contains(response.delayMilliseconds))
        let slow = world.respond(to: "/ho-chi-minh/motcua/health")
        #expect((450..<1350).contains(slow.delayMilliseconds))
    }

    @Test func theFailingEndpointAnswers500() {
        #expect(SimulatedWorld.demo().respond(to: "/can-tho/lgsp/health").status == 500)
    }

    @Test(arguments: [
        "/nowhere/dvc/health", "/hue/nothing/health", "/x", "/test/delay/abc", "/test/status/700", "/test/delay/999999",
    ])
    func unknownPathsAre404(path: String) {
        #expect(SimulatedWorld.demo().respond(to: path).status == 404)
    }

    @Test func testEndpointsDoWhatTheySay() {
        let world = SimulatedWorld.demo()
        #expect(world.respond(to: "/test/status/503").status == 503)
        #expect(world.respond(to: "/test/delay/250").delayMilliseconds == 250)
        #expect(world.respond(to: "/hue/dvc/health?x=1").status == 200)
    }

    /// A province's own statistics (`?province=`), as its DVC system publishes them: the same items
    /// as in the national document, and only its own.
    @Test func theScorecardFeedNarrowsToOneProvince() throws {
        let world = SimulatedWorld(scenario: .national(seed: 3), seed: 3, clock: { 1_796_000_000_000 })
        func items(_ path: String) throws -> [[String: AnyHashable]] {
            let body = try #require(world.respond(to: path).text)
            let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            return try #require(object?["items"] as? [[String: AnyHashable]])
        }
        let all = try items("/feeds/scorecard.json")
        #expect(all.count == 2 * 34)
        for selector in ["46", "hue"] {
            let own = try items("/feeds/scorecard.json?province=\(selector)")
            #expect(own.count == 2 && own.allSatisfy { $0["province_code"] == AnyHashable("46") })
            #expect(own == all.filter { $0["province_code"] == AnyHashable("46") })
        }
        #expect(try items("/feeds/scorecard.json?province=atlantis").isEmpty)
    }

    /// A province taken down answers 503 on every service until restored, and the first refusal's
    /// time is kept, from which a test measures how soon the outage shows.
    @Test func aProvinceTakenDownRefusesUntilRestored() {
        let world = SimulatedWorld.demo()
        #expect(world.firstRefusal(of: "hue") == nil)
        world.takeDown(province: "hue")
        #expect(world.respond(to: "/hue/dvc/health").status == 503)
        #expect(world.respond(to: "/hue/lgsp/health").status == 503)
        #expect(world.respond(to: "/ha-noi/dvc/health").status == 200)
        #expect(world.firstRefusal(of: "hue") != nil)
        world.restore(province: "hue")
        #expect(world.respond(to: "/hue/dvc/health").status == 200)
        #expect(world.firstRefusal(of: "hue") == nil)
    }

    @Test func theDossierFeedIsJSONWithEveryProvince() throws {
        let world = SimulatedWorld.demo()
        let body = try #require(world.respond(to: "/feeds/dossiers.json").text)
        let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        let provinces = try #require(object?["provinces"] as? [[String: Any]])
        #expect(provinces.count == world.provinces.count)
        #expect(provinces.compactMap { $0["province"] as? String }.contains("Hồ Chí Minh"))
        for item in provinces {
            let received = try #require(item["received"] as? Int)
            let onTime = try #require(item["processed_on_time"] as? Int)
            #expect(onTime <= received)
        }
    }

    @Test func theSameSeedGivesTheSameRun() {
        let paths = ["/hue/dvc/health", "/ha-noi/lgsp/health", "/feeds/dossiers.json", "/da-nang/motcua/health"]
        let clock: @Sendable () -> Int64 = { 1_800_000_000_000 }
        let first = SimulatedWorld(scenario: .demo, seed: 7, clock: clock)
        let second = SimulatedWorld(scenario: .demo, seed: 7, clock: clock)
        #expect(paths.map(first.respond) == paths.map(second.respond))
        let other = SimulatedWorld(scenario: .demo, seed: 8, clock: clock)
        #expect(paths.map(first.respond) != paths.map(other.respond))
    }
}

@Suite struct NationalScenarioTests {
    @Test func servesEveryProvinceWithFiveServices() {
        let world = SimulatedWorld.national(seed: 3)
        #expect(world.provinces.count == 34)
        #expect(world.services.map(\.id) == ["dvc", "motcua", "lgsp", "egov", "mail"])
        #expect(world.provinces.contains { $0.name == "Đắk Lắk" && $0.slug == "dak-lak" })
        #expect(world.scenario.failing.count == 1)
        #expect(world.scenario.slow.count == 2)
        #expect(world.scenario.outages.count == 4)
        #expect(world.scenario.outages.contains { $0.kind == .hang })
    }

    @Test func aSeedNamesOneScenarioAndOneSequenceOfAnswers() {
        let clock: @Sendable () -> Int64 = { 1_800_000_000_000 }
        let first = SimulatedWorld(scenario: .national(seed: 11), seed: 11, clock: clock)
        let second = SimulatedWorld(scenario: .national(seed: 11), seed: 11, clock: clock)
        #expect(first.scenario.failing == second.scenario.failing)
        #expect(first.scenario.outages == second.scenario.outages)
        let paths = first.provinces.prefix(5).flatMap { province in
            first.services.map { "/\(province.slug)/\($0.id)/health" }
        }
        // Asked in a different order, each endpoint still gives the same sequence.
        let forward = paths.map { first.respond(to: $0) }
        let backward = paths.reversed().map { second.respond(to: $0) }.reversed()
        #expect(forward == Array(backward))
        let other = SimulatedWorld(scenario: .national(seed: 12), seed: 12, clock: clock)
        #expect(other.scenario.failing != first.scenario.failing || other.scenario.slow != first.scenario.slow)
    }

    @Test func latencyIsHeavyTailedAroundItsBase() {
        let world = SimulatedWorld(scenario: .national(seed: 5), seed: 5, clock: { 0 })
        let healthy = world.provinces.first { province in
            !world.scenario.failing.contains("\(province.slug)/dvc")
                && world.scenario.slow["\(province.slug)/dvc"] == nil
                && !world.scenario.outages.contains { $0.endpoint == "\(province.slug)/dvc" }
        }
        guard let slug = healthy?.slug else { return #expect(Bool(false), "no healthy province") }
        let delays = (0..<4000).map { _ in world.respond(to: "/\(slug)/dvc/health").delayMilliseconds }.sorted()
        let median = delays[delays.count / 2]
        let p99 = delays[delays.count * 99 / 100]
        #expect((64...100).contains(median), "median \(median) around the base of 80 ms")
        #expect(p99 > 3 * 80, "p99 \(p99): a heavy tail")
        let errors = (0..<4000).filter { _ in world.respond(to: "/\(slug)/dvc/health").status == 503 }.count
        #expect((4...60).contains(errors), "\(errors) errors in 4000 at a 0.5% rate")
    }

    @Test func outagesComeAndGoWithTheClock() {
        let outage = SimulatedOutage(
            endpoint: "hue/dvc", kind: .error, periodMilliseconds: 600_000, durationMilliseconds: 60_000,
            phaseMilliseconds: 0)
        #expect(outage.isActive(at: 0))
        #expect(outage.isActive(at: 59_999))
        #expect(!outage.isActive(at: 60_000))
        #expect(outage.isActive(at: 600_000 + 10))
        var scenario = SimulatorScenario.demo
        scenario.outages = [
            outage,
            SimulatedOutage(
                endpoint: "ha-noi/dvc", kind: .hang, periodMilliseconds: 600_000, durationMilliseconds: 60_000,
                phaseMilliseconds: 0),
        ]
        let during = SimulatedWorld(scenario: scenario, seed: 1, clock: { 30_000 })
        let after = SimulatedWorld(scenario: scenario, seed: 1, clock: { 90_000 })
        #expect(during.respond(to: "/hue/dvc/health").status == 503)
        #expect(during.respond(to: "/ha-noi/dvc/health") == SimulatedResponse(status: 503, body: .hang))
        #expect(after.respond(to: "/hue/dvc/health").status == 200)
        #expect(after.respond(to: "/ha-noi/dvc/health").status == 200)
    }

    @Test func feedCountersGrowWithTimeAndCoverEveryProvince() throws {
        let early = SimulatedWorld(scenario: .national(seed: 1), seed: 1, clock: { 1_790_000_000_000 })
        let late = SimulatedWorld(scenario: .national(seed: 1), seed: 1, clock: { 1_790_003_600_000 })
        let before = try #require(early.respond(to: "/feeds/metrics").text)
        let after = try #require(late.respond(to: "/feeds/metrics").text)
        func value(_ text: String, _ prefix: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap {
                Double($0.split(separator: " ").last ?? "")
            }
        }
        let series = #"ioc_sim_dossiers_received_total{province_code="46",province="Huế"}"#
        let grown = try #require(value(after, series))
        let start = try #require(value(before, series))
        #expect(grown > start)
        #expect(before.contains("# TYPE ioc_sim_dossiers_processed_total counter"))
        #expect(before.split(separator: "\n").filter { $0.hasPrefix("ioc_sim_dossiers_received_total{") }.count == 34)
        let json = try #require(late.respond(to: "/feeds/dossiers.json").text)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect((object?["provinces"] as? [Any])?.count == 34)
    }
}

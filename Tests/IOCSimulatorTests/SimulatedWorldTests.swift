import Foundation
import IOCSimulator
import Testing

@Suite struct SimulatedWorldTests {
    @Test func healthEndpointsAnswerWithLatencyAroundTheirBase() {
        let world = SimulatedWorld.demo()
        let response = world.respond(to: "/hue/dvc/health")
        #expect(response.status == 200)
        #expect(response.body.contains(#""province":"Huế""#))
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

    @Test func theDossierFeedIsJSONWithEveryProvince() throws {
        let world = SimulatedWorld.demo()
        let body = world.respond(to: "/feeds/dossiers.json").body
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
        let first = SimulatedWorld.demo(seed: 7)
        let second = SimulatedWorld.demo(seed: 7)
        #expect(paths.map(first.respond) == paths.map(second.respond))
        let other = SimulatedWorld.demo(seed: 8)
        #expect(paths.map(first.respond) != paths.map(other.respond))
    }
}

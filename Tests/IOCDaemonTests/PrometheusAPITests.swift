@testable import IOCDaemon
import IOCQuery
import IOCCore
import Testing

@Suite struct PrometheusAPITests {
    struct NoStore: Error {}

    func api(credentials: [String]) -> PrometheusAPI {
        PrometheusAPI(
            readers: ReaderPool { throw NoStore() }, engine: Engine(), metrics: { "up 1\n" }, rules: { [] },
            ready: { true }, credentials: credentials.map(Secret.init))
    }

    func request(_ path: String, authorization: String? = nil, _ parameters: [(String, String)] = []) -> APIRequest {
        APIRequest(
            method: "GET", path: path, parameters: parameters,
            headers: authorization.map { [("Authorization", $0)] } ?? [])
    }

    @Test func aTokenIsRequiredWhenConfiguredExceptForHealth() {
        let api = api(credentials: ["Bearer s3cret", "Basic YTpi"])
        #expect(api.handle(request("/metrics")).status == 401)
        #expect(api.handle(request("/metrics", authorization: "Bearer wrong")).status == 401)
        #expect(api.handle(request("/metrics", authorization: "Bearer s3cret")).body == "up 1\n")
        #expect(api.handle(request("/metrics", authorization: "Basic YTpi")).status == 200)
        #expect(api.handle(request("/-/healthy")).status == 200)
    }

    @Test func badRequestsGetPrometheusErrors() {
        let api = api(credentials: [])
        let missing = api.handle(request("/api/v1/query"))
        #expect(missing.status == 400 && missing.body.contains(#""errorType":"bad_data""#))
        let badTime = api.handle(request("/api/v1/query", [("query", "up"), ("time", "yesterday")]))
        #expect(badTime.status == 400 && badTime.body.contains("cannot parse \\\"yesterday\\\""), "\(badTime.body)")
        let store = api.handle(request("/api/v1/query", [("query", "up")]))
        #expect(store.status == 422, "\(store.body)")
        #expect(api.handle(request("/api/v1/nope")).status == 404)
        #expect(
            api.handle(APIRequest(method: "DELETE", path: "/api/v1/query", parameters: [], headers: [])).status == 405)
        let seriesWithoutMatch = api.handle(request("/api/v1/series"))
        #expect(seriesWithoutMatch.status == 400)
    }
}

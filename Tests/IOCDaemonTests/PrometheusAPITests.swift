import Foundation
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

    /// The listener's own decoder of query strings gives what Foundation's gives wherever
    /// Foundation gives an answer, nil for a broken escape, and U+FFFD for bytes that are not UTF-8.
    @Test func parametersAreDecodedAsFoundationDecodesThem() {
        var inputs = [
            "up", "a+b", "%7Bservice%3D%22none%22%7D", "Ph%C3%BA+Th%E1%BB%8D", "%", "%4", "%zz", "%C3", "%FF%FE",
            "100%25", "%2B+%2b", "", "x%00y", "%e1%bb%8d", "Phú Thọ%20",
        ]
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("%+aZ09-_.~ %C3%A9%E1%BB%8D%F0%9F%98%80".utf8)
        for _ in 0..<2000 {
            let length = Int.random(in: 0...12, using: &generator)
            inputs.append(
                String(decoding: (0..<length).map { _ in alphabet.randomElement(using: &generator)! }, as: UTF8.self))
        }
        for input in inputs {
            guard let foundation = input.replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
                continue
            }
            #expect(APIRequest.decode(input) == foundation, "\(input)")
        }
        for broken in ["%", "%4", "%zz", "a%g0", "x%"] { #expect(APIRequest.decode(broken) == nil) }
        #expect(APIRequest.decode("%FF%FEa") == "\u{FFFD}\u{FFFD}a")
        #expect(
            APIRequest.parameters("query=a%2Bb&match%5B%5D=up&empty=&=x&bad=%zz").map { "\($0.0)=\($0.1)" } == [
                "query=a+b", "match[]=up", "empty=",
            ])
        // Go's url.ParseQuery: a pair with a broken escape or a semicolon is left out, and the
        // first such fault is reported in Go's words.
        let parsed = APIRequest.parse("a=1&b%zz=2&c=%4&d;e=3&f=%e1%zz&g=%07x")
        #expect(parsed.parameters.map { "\($0.0)=\($0.1)" } == ["a=1", "g=\u{7}x"])
        #expect(parsed.error == #"invalid URL escape "%zz""#)
        #expect(APIRequest.parse("d;e=3&c=%4").error == "invalid semicolon separator in query")
        #expect(APIRequest.parse("c=%4").error == #"invalid URL escape "%4""#)
        #expect(APIRequest.parse("c=%\u{7}x").error == #"invalid URL escape "%\ax""#)
        #expect(APIRequest.parse("c=%\u{1}\"").error == #"invalid URL escape "%\x01\"""#)
        #expect(APIRequest.parse("c=%\u{E9}").error == #"invalid URL escape "%é""#)
        #expect(APIRequest.parse("c=%\u{1EDD}").error == #"invalid URL escape "%\xe1\xbb""#)
        #expect(APIRequest.parameters("&&a&b=1=2&&").map { "\($0.0)=\($0.1)" } == ["a=", "b=1=2"])
        // Split on the bytes, as Go's url.ParseQuery splits: a combining mark after `&` does not
        // join the two parameters into one character.
        #expect(APIRequest.parameters("a=1&\u{301}b=2").map { "\($0.0)=\($0.1)" } == ["a=1", "\u{301}b=2"])
    }

    /// Header names in any case, the first of a name winning; no name taken for a longer or shorter one.
    @Test func headersAreFoundWhateverTheirCase() {
        let request = APIRequest(
            method: "GET", path: "/", parameters: [],
            headers: [("Content-TYPE", "a"), ("content-type", "b"), ("Hos", "c"), ("HOST", "d"), ("X-Ä", "e")])
        #expect(request.header("content-type") == "a")
        #expect(request.header("host") == "d")
        #expect(request.header("hos") == "c")
        #expect(request.header("authorization") == nil)
        #expect(request.header("x-ä") == nil)
    }

    @Test func hostHeadersAreReducedToTheirNames() {
        let cases = [
            ("localhost:9420", "localhost"), (" LocalHost ", "localhost"), ("[::1]:9420", "::1"), ("\t[::1]", "::1"),
            ("::1", "::1"), ("127.0.0.1:80", "127.0.0.1"), ("example.com", "example.com"), ("", ""),
        ]
        for (header, name) in cases { #expect(PrometheusAPI.hostName(header) == name, "\(header)") }
    }

    /// A kind of request is answered on the event loop only after an answer under a millisecond,
    /// and goes back to the pool after a slower one; the evaluation time does not make a new kind.
    @Test func onlyRequestsKnownToBeQuickAreAnsweredOnTheLoop() {
        let costs = RequestCosts()
        let absent = request("/api/v1/query", [("query", "absent(up)"), ("time", "100")])
        let kind = RequestCosts.kind(of: absent)
        #expect(kind == RequestCosts.kind(of: request("/api/v1/query", [("query", "absent(up)"), ("time", "200")])))
        #expect(kind != RequestCosts.kind(of: request("/api/v1/query", [("query", "absent(down)"), ("time", "100")])))
        #expect(!costs.isQuick(kind))
        costs.record(kind, since: .now)
        #expect(costs.isQuick(kind))
        costs.record(kind, since: .now - .milliseconds(5))
        #expect(!costs.isQuick(kind))
        for index in 0..<RequestCosts.capacity + 10 { costs.record("kind \(index)", since: .now) }
        #expect(costs.isQuick("kind \(RequestCosts.capacity + 9)"))
        // A long request is never remembered, so clients cannot fill memory with them.
        let long = String(repeating: "x", count: RequestCosts.longestKind + 1)
        costs.record(long, since: .now)
        #expect(!costs.isQuick(long))
    }

    @Test func targetsSplitIntoPathAndParameters() {
        let cases: [(String, String, [String])] = [
            ("/api/v1/query?query=up&time=1", "/api/v1/query", ["query=up", "time=1"]),
            ("/api/v1/labels", "/api/v1/labels", []), ("/x?", "/x", []), ("?a=1", "/", ["a=1"]), ("", "/", []),
            ("/q?query=a%3Fb?c", "/q", ["query=a?b?c"]),
        ]
        for (target, path, parameters) in cases {
            let request = APIRequest(method: "GET", target: target, headers: [], body: nil)
            #expect(request.path == path, "\(target)")
            #expect(request.parameters.map { "\($0.0)=\($0.1)" } == parameters, "\(target)")
        }
    }
}

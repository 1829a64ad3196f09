import IOCCore
import IOCProbe
import TestSupport
import Testing

@Suite struct ProbeFileTests {
    func targets(_ yaml: String, file: String = "probes/x.yaml") throws -> [ProbeTarget] {
        try ProbeFile.targets(from: try ConfigNode.parse(yaml: yaml, file: file))
    }

    @Test func groupAndTargetSettingsCombine() throws {
        let loaded = try targets(
            """
            groups:
              - name: hue
                interval: 30s
                labels: { province: Huế, service: portal }
                targets:
                  - url: https://dichvucong.hue.gov.vn/
                  - url: http://127.0.0.1:9/health
                    interval: 5s
                    timeout: 1s
                    labels: { service: lgsp }
            """)
        #expect(loaded.count == 2)
        #expect(
            loaded[0].labels
                == Labels([
                    "job": "hue", "instance": "https://dichvucong.hue.gov.vn/", "province": "Huế", "service": "portal",
                ]))
        #expect(loaded[0].interval == .seconds(30))
        #expect(loaded[0].timeout == .seconds(10))
        #expect(loaded[1].labels["service"] == "lgsp")
        #expect(loaded[1].interval == .seconds(5))
        #expect(loaded[1].timeout == .seconds(1))
        #expect(loaded[1].location.line == 7)
    }

    @Test func theDefaultTimeoutStaysInsideAShortInterval() throws {
        let loaded = try targets("groups:\n  - name: a\n    interval: 2s\n    targets:\n      - url: http://h/\n")
        #expect(loaded[0].timeout == .milliseconds(1600))
    }

    @Test(arguments: [
        (
            "groups:\n  - name: a\n    targets:\n      - url: http://h/\n        intervl: 5s\n",
            "probes/x.yaml:5:9: unknown key 'intervl' in a target (did you mean 'interval'?)"
        ),
        (
            "groups:\n  - name: a\n    interval: 15s\n    targets:\n      - url: http://h/\n        timeout: 20s\n",
            "probes/x.yaml:6:18: 'timeout' (20s) must be shorter than 'interval' (15s)"
        ),
        (
            "groups:\n  - name: a\n    targets:\n      - url: ftp://h/\n",
            "probes/x.yaml:4:14: 'ftp://h/' is not an http:// or https:// URL"
        ),
        ("groups:\n  - targets: []\n", "probes/x.yaml:2:5: a probe group is missing the required key 'name'"),
        ("groups:\n  - name: a\n    interval: often\n", "probes/x.yaml:3:15: 'often' is not a duration"),
        ("groupz: []\n", "probes/x.yaml:1:1: unknown key 'groupz' in a probe file (did you mean 'groups'?)"),
    ])
    func errorsNameFileLineAndKey(yaml: String, expected: String) {
        let error = #expect(throws: ConfigError.self) { try targets(yaml) }
        #expect(error?.description.hasPrefix(expected) == true, "got: \(String(describing: error))")
    }

    @Test func theSameTargetTwiceIsAnError() throws {
        let first = try targets("groups:\n  - name: a\n    targets:\n      - url: http://h/\n", file: "one.yaml")
        let second = try targets("groups:\n  - name: a\n    targets:\n      - url: http://h/\n", file: "two.yaml")
        let error = #expect(throws: ConfigError.self) { try ProbeFile.checkUnique(first + second) }
        #expect(
            error?.description.hasPrefix("two.yaml:4:9: target http://h/ in job 'a' is already defined at one.yaml:4:9")
                == true)
    }

    @Test func anEmptyFileHasNoTargets() throws {
        #expect(try targets("").isEmpty)
        #expect(try targets("# nothing yet\n").isEmpty)
    }
}

@Suite struct ProbeFileSettingsTests {
    func targets(_ yaml: String) throws -> [ProbeTarget] {
        try ProbeFile.targets(from: try ConfigNode.parse(yaml: yaml, file: "p.yaml"))
    }

    func http(_ target: ProbeTarget) throws -> HTTPProbe {
        guard case .http(let probe) = target.kind else { throw ConfigError(file: "test", "not an HTTP target") }
        return probe
    }

    @Test func targetsInheritGroupSettingsAndOverrideThem() throws {
        let loaded = try targets(
            """
            groups:
              - name: lgsp
                method: POST
                headers: { X-Client: ioc }
                follow_redirects: false
                ip_version: "4"
                expect:
                  - status: [200, 3xx]
                  - json: '$.status == "UP"'
                    severity: warning
                  - max_latency: 2s
                targets:
                  - url: https://lgsp.example.vn/health
                  - url: https://lgsp.example.vn/other
                    method: HEAD
                    expect: [{ status: 204 }]
            """)
        let first = try http(loaded[0])
        #expect(first.method == "POST")
        #expect(first.headers.map(\.name) == ["X-Client"])
        #expect(!first.followRedirects)
        #expect(first.ipVersion == .v4)
        #expect(first.expectations.count == 3)
        #expect(first.expectations.map(\.severity) == [.critical, .warning, .critical])
        #expect(first.expectations[0].description == "status in 200, 300-399")
        #expect(first.effectiveExpectations.count == 3)
        let second = try http(loaded[1])
        #expect(second.method == "HEAD")
        #expect(second.headers.map(\.name) == ["X-Client"])
        #expect(second.expectations.map(\.description) == ["status in 204"])
    }

    @Test func secretsComeFromFilesOrTheEnvironmentAndNeverPrint() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("token", "t0ken\n")
        let loaded = try targets(
            """
            groups:
              - name: a
                targets:
                  - url: http://a/
                    bearer_token: { file: \(file) }
                  - url: http://b/
                    basic_auth: { username: ioc, password_env: PATH }
            """)
        guard case .bearer(let token) = try http(loaded[0]).authorization else {
            throw ConfigError(file: "t", "no token")
        }
        #expect(token.value == "t0ken")
        #expect("\(token)" == "<secret>")
        guard case .basic(let username, let password) = try http(loaded[1]).authorization else {
            throw ConfigError(file: "t", "no basic auth")
        }
        #expect(username == "ioc")
        #expect(!password.value.isEmpty)
        #expect(String(reflecting: password) == "<secret>")
    }

    @Test func tcpTargetsTakeOnlyTheSettingsThatApply() throws {
        let loaded = try targets(
            """
            groups:
              - name: mail
                targets:
                  - tcp: mail.hue.gov.vn:25
                  - tcp: "[2001:db8::1]:465"
                    tcp_tls: true
                    expect: [{ min_cert_days: 14, severity: warning }]
            """)
        #expect(loaded.map(\.instance) == ["mail.hue.gov.vn:25", "[2001:db8::1]:465"])
        guard case .tcp(let second) = loaded[1].kind else { throw ConfigError(file: "t", "not tcp") }
        #expect(second.host == "2001:db8::1" && second.port == 465 && second.useTLS)
        #expect(second.expectations.count == 1)
    }

    @Test(arguments: [
        (
            "      - url: http://a/\n        basic_auth: { username: u, password: p }\n",
            "p.yaml:5:36: unknown key 'password' in 'basic_auth'"
        ),
        (
            "      - url: http://a/\n        basic_auth: { username: u }\n",
            "p.yaml:5:21: 'basic_auth' needs 'password_file' or 'password_env'"
        ),
        (
            "      - url: http://a/\n        bearer_token: { env: IOC_TEST_UNSET_VARIABLE }\n",
            "p.yaml:5:30: the environment variable 'IOC_TEST_UNSET_VARIABLE'"
        ),
        (
            "      - url: http://a/\n        bearer_token: { file: /nonexistent/token }\n",
            "p.yaml:5:31: cannot read the bearer token file"
        ),
        ("      - url: http://a/\n        expect: [{ status: 299x }]\n", "p.yaml:5:28: '299x' is not a status"),
        ("      - url: http://a/\n        expect: [{ json: '$.a = 1' }]\n", "p.yaml:5:26: expected an operator"),
        (
            "      - url: http://a/\n        expect: [{ max_latency: 1s, status: 200 }]\n",
            "p.yaml:5:18: an expectation has exactly one of"
        ),
        (
            "      - url: http://a/\n        expect: [{ status: 200, severity: fatal }]\n",
            "p.yaml:5:43: 'fatal' is not a severity"
        ),
        (
            "      - url: http://a/\n        tls: { ca_file: /nonexistent/ca.pem }\n",
            "p.yaml:5:25: cannot read '/nonexistent/ca.pem'"
        ),
        ("      - url: http://a/\n        tls: { min_version: \"1.4\" }\n", "p.yaml:5:29: '1.4' is not a TLS version"),
        ("      - tcp: host:25\n        method: POST\n", "p.yaml:5:17: 'method' applies to HTTP targets only"),
        (
            "      - tcp: host:25\n        expect: [{ status: 200 }]\n",
            "p.yaml:5:17: 'status in 200' cannot be checked on a tcp target"
        ),
        ("      - tcp: host\n", "p.yaml:4:14: 'host' is not HOST:PORT"),
        (
            "      - url: http://a/\n        tcp: a:1\n",
            "p.yaml:4:9: a target has one of 'url' (HTTP), 'tcp' (a TCP port) or 'feed' (a metrics feed), not url and tcp"
        ),
        ("      - labels: { a: b }\n", "p.yaml:4:9: a target is missing the required key 'url'"),
        ("      - url: http://a/\n        method: FETCH\n", "p.yaml:5:17: 'FETCH' is not an HTTP method"),
    ])
    func badSettingsAreReportedWhereTheyAre(target: String, expected: String) {
        let yaml = "groups:\n  - name: a\n    targets:\n" + target
        let error = #expect(throws: ConfigError.self) { try targets(yaml) }
        #expect(error?.description.hasPrefix(expected) == true, "got: \(String(describing: error))")
    }
}

@Suite struct FeedFileTests {
    func targets(_ yaml: String) throws -> [ProbeTarget] {
        try ProbeFile.targets(from: try ConfigNode.parse(yaml: yaml, file: "f.yaml"))
    }

    @Test func feedTargetsTakeAFormatAndAMapping() throws {
        let loaded = try targets(
            """
            groups:
              - name: feeds
                bearer_token: { env: PATH }
                targets:
                  - feed: http://stats.example.vn/metrics
                    sample_limit: 1000
                  - feed: http://stats.example.vn/dossiers.json
                    json:
                      items: '$.provinces[*]'
                      labels: { province: '$.province' }
                      metrics: { dossiers_received: '$.received' }
            """)
        guard case .feed(let text) = loaded[0].kind, case .feed(let json) = loaded[1].kind else {
            throw ConfigError(file: "t", "not feeds")
        }
        #expect(text.format == .auto)
        #expect(text.sampleLimit == 1000)
        #expect(text.http.authorization != nil)
        #expect(json.format == .json)
        #expect(json.json?.metrics.map(\.name) == ["dossiers_received"])
        #expect(json.json?.items?.hasWildcard == true)
    }

    @Test(arguments: [
        ("      - feed: http://a/\n        format: xml\n", "f.yaml:5:17: 'xml' is not a feed format"),
        ("      - feed: http://a/\n        format: json\n", "f.yaml:5:17: format json needs a 'json' mapping"),
        ("      - feed: http://a/\n        json: { labels: { a: '$.a' } }\n", "f.yaml:5:15: 'json' needs 'metrics'"),
        (
            "      - feed: http://a/\n        json: { metrics: { 'bad name': '$.a' } }\n",
            "f.yaml:5:28: 'bad name' is not a valid metric name"
        ),
        (
            "      - feed: http://a/\n        json: { metrics: { m: 'a.b' } }\n",
            "f.yaml:5:31: a JSON path starts with '$'"
        ),
        (
            "      - feed: http://a/\n        expect: [{ status: 200 }]\n",
            "f.yaml:5:17: 'expect' does not apply to feeds"
        ),
        (
            "      - url: http://a/\n        sample_limit: 5\n",
            "f.yaml:5:23: 'sample_limit' applies to feed targets only"
        ),
    ])
    func badFeedSettingsAreReported(target: String, expected: String) {
        let error = #expect(throws: ConfigError.self) { try targets("groups:\n  - name: a\n    targets:\n" + target) }
        #expect(error?.description.hasPrefix(expected) == true, "got: \(String(describing: error))")
    }
}

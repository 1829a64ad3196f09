import IOCCore
import IOCProbe
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

import IOCCore
import Testing

@Suite struct ConfigNodeTests {
    let yaml = """
        groups:
          - name: hue
            interval: 15s
            targets:
              - url: http://x/
                labels: { service: dvc }
                intervl: 5s
        """

    @Test func unknownKeyNamesFileLineColumnAndSuggestsTheKnownKey() throws {
        let root = try ConfigNode.parse(yaml: yaml, file: "probes/x.yaml")
        let groups = try root.mapping(of: "a probe file", allowedKeys: ["groups"])
        let group = try groups.required("groups").sequence(of: "groups")[0]
        let target = try group.mapping(of: "a group", allowedKeys: ["name", "interval", "targets"])
            .required("targets").sequence(of: "targets")[0]
        let error = #expect(throws: ConfigError.self) {
            try target.mapping(of: "a target", allowedKeys: ["url", "interval", "labels"])
        }
        #expect(error?.description.hasPrefix("probes/x.yaml:7:9: unknown key 'intervl' in a target") == true)
        #expect(error?.description.contains("did you mean 'interval'?") == true)
    }

    @Test func scalarsConvertWithErrorsAtTheirLocation() throws {
        let root = try ConfigNode.parse(yaml: "a: 5m\nb: soon\nc: true\nd: ~\n", file: "f.yaml")
        let map = try root.mapping(of: "test", allowedKeys: ["a", "b", "c", "d"])
        #expect(try map.required("a").duration("a") == .seconds(300))
        #expect(try map.required("c").bool("c"))
        #expect(map["d"] == nil)
        let error = #expect(throws: ConfigError.self) { try map.required("b").duration("b") }
        #expect(error?.description.hasPrefix("f.yaml:2:4: 'soon' is not a duration") == true)
        let missing = #expect(throws: ConfigError.self) { try map.required("e") }
        #expect(missing?.description.contains("missing the required key 'e'") == true)
    }

    @Test func syntaxErrorsAndDuplicateKeysHaveLocations() {
        let syntax = #expect(throws: ConfigError.self) {
            try ConfigNode.parse(yaml: "a: [1, 2\nb: 3\n", file: "bad.yaml")
        }
        #expect(syntax?.location?.file == "bad.yaml")
        #expect(syntax?.location != nil)
        let duplicate = #expect(throws: ConfigError.self) {
            try ConfigNode.parse(yaml: "a: 1\na: 2\n", file: "dup.yaml")
        }
        #expect(duplicate?.description.contains("duplicate key 'a'") == true)
    }

    @Test func labelNamesMustBeValid() throws {
        let root = try ConfigNode.parse(yaml: "labels:\n  province: Huế\n  2bad: x\n", file: "l.yaml")
        let node = try root.mapping(of: "t", allowedKeys: ["labels"]).required("labels")
        let error = #expect(throws: ConfigError.self) { try node.labels("labels") }
        #expect(error?.description.hasPrefix("l.yaml:3:3: '2bad' is not a valid label name") == true)
    }
}

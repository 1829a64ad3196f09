import Foundation
import IOCCore
import IOCDaemon
import IOCProbe
import IOCSimulator
import TestSupport
import Testing
import IOCConfig

@Suite struct ConfigFilesTests {
    @Test func loadsTheDaemonConfigAndItsProbeFilesRelativeToIt() throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write(
            "etc/iocd.yaml", "storage:\n  path: state/ioc.db\nprobe_files:\n  - probes/*.yaml\n")
        try directory.write("etc/probes/a.yaml", "groups:\n  - name: a\n    targets:\n      - url: http://a/\n")
        try directory.write(
            "etc/probes/b.yaml", "groups:\n  - name: b\n    targets:\n      - url: http://b/\n      - url: http://c/\n")
        try directory.write("etc/probes/ignored.txt", "not yaml: [")
        let loaded = try ConfigFiles.load(config)
        #expect(loaded.daemon.storePath == directory.file("etc/state/ioc.db"))
        #expect(loaded.probeFiles == [directory.file("etc/probes/a.yaml"), directory.file("etc/probes/b.yaml")])
        #expect(loaded.targets.map(\.address) == ["http://a/", "http://b/", "http://c/"])
    }

    @Test func ruleFilesLoadBesideTheirTestsAndAnErrorInOneNamesFileAndLine() throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write(
            "iocd.yaml", "storage:\n  path: ioc.db\nevaluation_interval: 30s\nexternal_labels: {centre: hue}\n")
        try directory.write(
            "rules/a.yaml", "groups:\n  - name: a\n    rules:\n      - alert: Down\n        expr: probe_success == 0\n")
        // Unit tests in promtool's format live beside the rules and are not rule files.
        try directory.write("rules/a.test.yaml", "rule_files: [a.yaml]\ntests: []\n")
        let loaded = try ConfigFiles.load(config)
        #expect(loaded.ruleFiles == [directory.file("rules/a.yaml")])
        #expect(loaded.ruleGroups.map(\.name) == ["a"])
        #expect(loaded.daemon.evaluationInterval == .seconds(30))
        #expect(loaded.daemon.externalLabels == ["centre": "hue"])

        let broken = try directory.write(
            "rules/b.yaml", "groups:\n  - name: b\n    rules:\n      - alert: Slow\n        expr: avg(\n")
        #expect {
            _ = try ConfigFiles.load(config)
        } throws: { error in
            "\(error)".hasPrefix("\(broken):5:15: could not parse expression")
        }
    }

    @Test func aMisspeltKeyInAProbeFileNamesFileLineAndKey() throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write("iocd.yaml", "storage:\n  path: ioc.db\n")
        let probes = try directory.write(
            "probes/x.yaml",
            "# Huế\ngroups:\n  - name: hue\n    targets:\n      - url: http://a/\n        labels: { service: dvc }\n        intervl: 5s\n"
        )
        let error = #expect(throws: ConfigError.self) { try ConfigFiles.load(config) }
        #expect(
            error?.description.hasPrefix("\(probes):7:9: unknown key 'intervl'") == true, "\(String(describing: error))"
        )
    }

    @Test(arguments: [
        ("storage:\n  pth: x.db\n", ":2:3: unknown key 'pth' in 'storage' (did you mean 'path'?)"),
        ("probe_files: probes/*.yaml\n", ":1:14: expected 'probe_files' as a list"),
        ("probe_files:\n  - missing.yaml\n", ": probe file '"),
        ("storage: [\n", ":2:1: invalid YAML"),
        ("max_probes_in_flight: 0\n", ":1:23: 'max_probes_in_flight' must be between 1 and 100000, not 0"),
        ("time_zone: Asia/Hanoi_City\n", ":1:12: unknown time zone 'Asia/Hanoi_City'"),
        ("language: fr\n", ":1:11: unknown language 'fr'; expected vi or en"),
        ("storage:\n  path: a.db\n  retention: 12h\n", ":3:14: 'retention' must be at least 1d"),
        ("storage:\n  path: a.db\n  max_size: lots\n", ":3:13: 'lots' is not a size"),
        // Sizes and URLs that once trapped or leaked: an error with the place, exit 78 from iocd.
        ("storage:\n  path: a.db\n  max_size: 1e30GiB\n", ":3:13: '1e30GiB' is not a size"),
        (
            "remote_write:\n  - url: https://u:pw@example.gov.vn/w\n",
            ":2:10: 'url' 'https://<secret>@example.gov.vn/w' has a user name"
        ),
        (
            "notifications:\n  receivers:\n    - name: w\n      webhook: {url: 'http://h/', bearer_token_file: missing}\n",
            ":4:54: cannot read the token file '"
        ),
        (
            "notifications:\n  receivers:\n    - name: t\n      telegram: {bot_token_file: missing, chat_id: '-1'}\n",
            ":4:34: cannot read the bot token file '"
        ),
        (
            "notifications:\n  receivers:\n    - name: t\n      telegram: {bot_token_file: x, chat_id: ops}\n",
            ":4:46: 'chat_id' is a chat's number"
        ),
        ("sample_admission: {max_labels: 1}\n", ":1:32: 'max_labels' must be between 2 and 1000, not 1"),
        ("storage: {path: a.db, max_series: 5}\n", ":1:35: 'max_series' must be between 1000 and 1000000000, not 5"),
        (
            "remote_write:\n  - url: http://h/w\n    write_relabel_configs:\n      - {action: dorp, regex: x}\n",
            ":4:18: unknown relabel action 'dorp'; expected one of: replace, keep, drop,"
        ),
        (
            "remote_write:\n  - url: http://h/w\n    write_relabel_configs:\n      - {source_labels: [a], regex: '(x'}\n",
            ":4:37: invalid regular expression \"(x\": missing ): (x"
        ),
        (
            "remote_write:\n  - url: http://h/w\n    write_relabel_configs:\n      - {source_labels: [a]}\n",
            ":4:9: relabel action 'replace' needs 'target_label'"
        ),
        (
            "rule_source: {url: 'http://h/', engine: metricsql}\n",
            ":1:41: unknown engine 'metricsql'; expected ioc or remote"
        ),
        (
            "rule_source: {url: 'http://h/', write_relabel_configs: []}\n",
            ":1:33: unknown key 'write_relabel_configs' in 'rule_source'"
        ),
    ])
    func badDaemonConfigsAreRefusedWithTheirLocation(yaml: String, expected: String) throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write("iocd.yaml", yaml)
        let error = #expect(throws: ConfigError.self) { try ConfigFiles.load(config) }
        #expect(error?.description.hasPrefix(config + expected) == true, "\(String(describing: error))")
    }

    @Test(arguments: [("10GiB", Int64(10) << 30), ("500MB", 500_000_000), ("1048576", 1_048_576), ("1.5KiB", 1536)])
    func sizesReadWithTheirUnits(text: String, bytes: Int64) throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write("iocd.yaml", "storage:\n  path: a.db\n  retention: 30d\n  max_size: \(text)\n")
        let loaded = try ConfigFiles.load(config)
        #expect(loaded.daemon.maxStoreBytes == bytes)
        #expect(loaded.daemon.retention == .seconds(30 * 86_400))
    }

    @Test func aMissingConfigFileSaysSo() throws {
        let directory = try TemporaryDirectory()
        let error = #expect(throws: ConfigError.self) { try ConfigFiles.load(directory.file("nope.yaml")) }
        #expect(error?.description == "\(directory.file("nope.yaml")): cannot read: no such file")
    }

    /// A province's centre's file: its provinces' endpoints and each one's own statistics feed.
    @Test func aCentresProbeFileLoads() throws {
        let world = SimulatedWorld.national()
        let mine = Array(world.provinces.prefix(2))
        let text = world.centreProbeFile(baseURL: "http://127.0.0.1:1234", provinces: mine)
        let targets = try ProbeFile.targets(from: try ConfigNode.parse(yaml: text, file: "centre.yaml"))
        #expect(targets.count == 2 * (world.services.count + 1))
        let feeds = targets.filter { $0.job.hasSuffix("-statistics") }.map(\.address)
        #expect(feeds == mine.map { "http://127.0.0.1:1234/feeds/scorecard.json?province=\($0.code)" })
    }

    @Test func theSimulatorsProbeFileLoads() throws {
        let world = SimulatedWorld.demo()
        let node = try ConfigNode.parse(yaml: world.probeFile(baseURL: "http://127.0.0.1:1234"), file: "sim.yaml")
        let targets = try ProbeFile.targets(from: node)
        let health = targets.filter { $0.job != "feeds" }
        #expect(health.count == world.provinces.count * world.services.count)
        #expect(health.contains { $0.labels["province"] == "Hồ Chí Minh" && $0.labels["service"] == "motcua" })
        #expect(health.allSatisfy { $0.interval == .seconds(5) && $0.timeout == .seconds(4) })
        let feeds = targets.filter { $0.job == "feeds" }
        #expect(
            feeds.map(\.address) == [
                "http://127.0.0.1:1234/feeds/metrics", "http://127.0.0.1:1234/feeds/dossiers.json",
                "http://127.0.0.1:1234/feeds/scorecard.json", "http://127.0.0.1:1234/feeds/exchange.json",
            ])
    }

    /// The example configuration in the repository is what administrators copy: it must load.
    @Test func theShippedConfigurationLoads() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let loaded = try ConfigFiles.load(root.appendingPathComponent("iocd.yaml").path)
        #expect(loaded.daemon.storePath == "/var/lib/iocd/ioc.db")
        #expect(loaded.daemon.maxProbesInFlight == 256)
        #expect(loaded.daemon.retention == .seconds(90 * 86_400))
        #expect(loaded.daemon.maxStoreBytes == nil)
        #expect(loaded.probeFiles.map { URL(fileURLWithPath: $0).lastPathComponent }.contains("example.yaml"))
        #expect(loaded.targets.contains { $0.labels["province"] == "Huế" && $0.interval == .seconds(30) })
    }

    @Test func theStoreIsFoundFromDbThenEnvironmentThenConfigThenDefault() throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write("iocd.yaml", "storage:\n  path: data/ioc.db\n")
        #expect(StoreLocation.resolve(db: "/x.db", config: config, environment: ["IOC_DB": "/env.db"]) == "/x.db")
        #expect(StoreLocation.resolve(db: nil, config: config, environment: ["IOC_DB": "/env.db"]) == "/env.db")
        #expect(StoreLocation.resolve(db: nil, config: config, environment: [:]) == directory.file("data/ioc.db"))
        #expect(
            StoreLocation.resolve(db: nil, config: directory.file("absent.yaml"), environment: [:])
                == "/var/lib/iocd/ioc.db")
    }

    @Test func secretFilesResolveBesideTheFileThatNamesThem() throws {
        let directory = try TemporaryDirectory()
        try directory.write("token", "s3cret\n")
        let config = try directory.write(
            "iocd.yaml",
            "probe_files: []\nnotifications:\n  receivers:\n    - name: w\n      webhook: {url: 'http://127.0.0.1:9/', bearer_token_file: token}\n"
                + "  route: {receiver: w}\n")
        let loaded = try ConfigFiles.load(config)
        guard case .webhook(let target)? = loaded.daemon.notifications.receivers["w"]?.integrations.first else {
            Issue.record("expected the webhook receiver")
            return
        }
        // Read beside iocd.yaml, not from the working directory, without its line break.
        #expect(target.bearerToken?.value == "s3cret")
    }

    @Test func aProbeURLWithCredentialsIsRefusedAndTheErrorHidesThem() throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            "probes.yaml", "groups:\n  - name: p\n    targets:\n      - url: https://admin:hunter2@portal.gov.vn/\n")
        let config = try directory.write("iocd.yaml", "probe_files: [probes.yaml]\n")
        let error = #expect(throws: ConfigError.self) { try ConfigFiles.load(config) }
        #expect(error?.description.contains("basic_auth") == true, "\(String(describing: error))")
        #expect(error?.description.contains("hunter2") == false)
    }
}

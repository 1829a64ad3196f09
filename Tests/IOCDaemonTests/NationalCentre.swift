import Foundation
import IOCCore
import IOCSimulator
import IOCStore
import Synchronization
import TestSupport

/// VictoriaMetrics, six provincial iocd and the national one, as `make demo-national` runs them,
/// with what the national tests ask of them: the totals each side holds, the national overview,
/// the samples each centre stored and those VictoriaMetrics received.
final class NationalCentre: Sendable {
    let directory: TemporaryDirectory
    let engine: String
    private let vmPort: Int
    private let victoria = Mutex<TestProcess?>(nil)
    private let centres: Mutex<[TestProcess]>
    private let national: TestProcess
    let centreCount: Int

    init(simulator: Simulator, centres count: Int, repository: String) throws {
        directory = try TemporaryDirectory()
        vmPort = refusedPort()
        engine = "http://127.0.0.1:\(vmPort)"
        centreCount = count
        // The shipped scorecard rules, evaluated every 5 s instead of every minute.
        let rules = try String(contentsOfFile: repository + "/rules/scorecard-766.yaml", encoding: .utf8)
            .replacingOccurrences(of: "interval: 1m", with: "interval: 5s")
        let provinces = simulator.world.provinces
        var started: [TestProcess] = []
        for centre in 0..<count {
            let folder = "centre-\(centre + 1)"
            let mine = provinces.enumerated().filter { $0.offset % count == centre }.map(\.element)
            try directory.write(
                "\(folder)/probes.yaml",
                simulator.world.centreProbeFile(baseURL: simulator.baseURL, provinces: mine))
            try directory.write("\(folder)/scorecard.yaml", rules)
            try directory.write(
                "\(folder)/iocd.yaml",
                """
                storage: {path: ioc.db}
                probe_files: [probes.yaml]
                rule_files: [scorecard.yaml]
                http: {listen: 'off'}
                external_labels: {centre: ioc-\(folder)}
                remote_write:
                  - url: '\(engine)/api/v1/write'
                    # What this centre's rules derive stays here; the national centre recomputes it.
                    write_relabel_configs:
                      - {source_labels: [__name__], regex: '.+:.+', action: drop}
                """)
        }
        try directory.write("national/scorecard.yaml", rules)
        let nationalConfig = try directory.write(
            "national/iocd.yaml",
            """
            storage: {path: ioc.db}
            probe_files: []
            rule_files: [scorecard.yaml]
            http: {listen: 'off'}
            external_labels: {centre: ioc-national}
            rule_source: {url: '\(engine)', timeout: 10s}
            remote_write: [{url: '\(engine)/api/v1/write'}]
            """)
        victoria.withLock { $0 = nil }
        for centre in 0..<count { started.append(try Self.iocd(directory.file("centre-\(centre + 1)/iocd.yaml"))) }
        centres = Mutex(started)
        national = try Self.iocd(nationalConfig)
        try startVictoriaMetrics()
    }

    static func iocd(_ config: String) throws -> TestProcess {
        try TestProcess(try BuiltProduct.path("iocd"), ["--config", config])
    }

    func startVictoriaMetrics() throws {
        let process = try TestProcess.victoriaMetrics(dataPath: directory.file("vm"), port: vmPort)
        victoria.withLock { $0 = process }
    }

    func stopVictoriaMetrics() async {
        guard let process = victoria.withLock({ $0 }) else { return }
        process.signal(SIGTERM)
        _ = await process.exitStatus()
    }

    /// Stops centre `index` (SIGTERM, a clean exit) and starts it again on the same store.
    func restartCentre(_ index: Int) async throws -> Int32? {
        let old = centres.withLock { $0[index] }
        old.signal(SIGTERM)
        let status = await old.exitStatus()
        let fresh = try Self.iocd(directory.file("centre-\(index + 1)/iocd.yaml"))
        centres.withLock { $0[index] = fresh }
        return status
    }

    /// Stops every daemon and VictoriaMetrics and waits for them: the folder they write in is
    /// removed with this value, and a process still ending (VictoriaMetrics saves its caches on
    /// the way out) left files behind in a folder already emptied.
    func stopAll() async {
        let processes = centres.withLock { $0 } + [national] + (victoria.withLock { $0 }.map { [$0] } ?? [])
        for process in processes { process.signal(SIGTERM) }
        for process in processes where await process.exitStatus(within: .seconds(60)) == nil {
            process.signal(SIGKILL)
            _ = await process.exitStatus(within: .seconds(10))
        }
    }

    func logs(suffix: Int) -> String {
        let provincial = centres.withLock { $0 }.enumerated().map {
            "centre \($0.offset + 1): \($0.element.standardError.suffix(suffix / 4))"
        }
        return (["national: \(national.standardError.suffix(suffix))"] + provincial).joined(separator: "\n")
    }

    /// The previous month's total of every province, as the national iocd recorded it in VictoriaMetrics.
    func nationalTotals() async throws -> [String: Double] {
        let answer = try await TestProcess.run(
            "/usr/bin/curl",
            ["-sf", "\(engine)/api/v1/query", "--data-urlencode", #"query=ioc766:total_points{period="previous"}"#])
        let object = try? JSONSerialization.jsonObject(with: Data(answer.stdout.utf8)) as? [String: Any]
        let result = ((object?["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
        var totals: [String: Double] = [:]
        for item in result {
            guard let province = (item["metric"] as? [String: String])?["province"],
                let value = ((item["value"] as? [Any])?.last as? String).flatMap(Double.init)
            else { continue }
            totals[province] = value
        }
        return totals
    }

    /// The same, as each centre's own rules recorded it in its own store (the latest sample).
    func localTotals() throws -> [String: Double] {
        var totals: [String: Double] = [:]
        for centre in 0..<centreCount {
            let path = directory.file("centre-\(centre + 1)/ioc.db")
            guard FileManager.default.fileExists(atPath: path), let reader = try? StoreReader(path: path) else {
                continue
            }
            let series = try reader.select(
                [
                    try LabelMatcher(Labels.metricName, .equal, "ioc766:total_points"),
                    try LabelMatcher("period", .equal, "previous"),
                ], from: .min, through: .max)
            for item in series {
                if let province = item.labels["province"], let last = item.samples.last(where: { !$0.value.isNaN }) {
                    totals[province] = last.value
                }
            }
        }
        return totals
    }

    /// The timestamps of every series a store holds between `from` and `through` (ms), keyed by
    /// the labels it is sent with (the centre's label added); `recorded`: the series rules record
    /// (a colon in the name), else the others.
    func stored(in folder: String, centre: String, recorded: Bool, from: Int64, through: Int64) throws
        -> [String: [Int64]]
    {
        let reader = try StoreReader(path: directory.file("\(folder)/ioc.db"))
        let series = try reader.select(
            [try LabelMatcher(Labels.metricName, recorded ? .matchesRegex : .doesNotMatchRegex, ".+:.+")],
            from: from, through: through)
        var stamps: [String: [Int64]] = [:]
        for item in series where !item.samples.isEmpty {
            var pairs = item.labels.pairs.map { ($0.name, $0.value) }
            if item.labels["centre"] == nil { pairs.append(("centre", centre)) }
            stamps[Labels(pairs).description] = item.samples.map(\.timestamp)
        }
        return stamps
    }

    /// What VictoriaMetrics holds of the series `selector` between `from` and `through` (ms), keyed
    /// as `stored` keys them.
    func received(_ selector: String, from: Int64, through: Int64) async throws -> [String: [Int64]] {
        let result = try await TestProcess.run(
            "/usr/bin/curl",
            [
                "-sf", "\(engine)/api/v1/export", "--data-urlencode", "match[]=\(selector)", "--data-urlencode",
                "start=\(Double(from) / 1000)", "--data-urlencode", "end=\(Double(through) / 1000)",
            ], timeout: .seconds(60))
        var stamps: [String: [Int64]] = [:]
        for (metric, times) in VictoriaMetricsExport.series(result.stdout) {
            stamps[Labels(metric).description, default: []] += times.filter { $0 >= from && $0 <= through }
        }
        return stamps.mapValues { $0.sorted() }
    }

    /// The national overview, as `ioc dashboard --source` draws it from VictoriaMetrics.
    func overview() async throws -> String {
        let result = try await TestProcess.run(
            try BuiltProduct.path("ioc"),
            [
                "dashboard", "--source", engine, "--dashboards",
                NationalEndToEndTests.repository + "/dashboards/*.yaml",
                "--dashboard", "overview", "--snapshot", "200x60",
            ])
        return result.stdout
    }
}

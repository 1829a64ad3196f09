import Foundation
import IOCCore
import IOCStore
import TestSupport
import Testing

/// `ioc export` and `ioc import` as an administrator runs them, through real store files.
@Suite struct ExportImportTests {
    @Test func historyRoundTripsThroughOpenMetrics() async throws {
        let directory = try TemporaryDirectory()
        let source = directory.file("source.db")
        var generator = SystemRandomNumberGenerator()
        var written: [Labels: [Sample]] = [:]
        let writer = try SampleWriter(path: source)
        for province in ["Huế", "Hà Nội", "Cần Thơ"] {
            for metric in ["probe_success", "probe_duration_seconds"] {
                let labels = Labels(["__name__": metric, "province": province, "job": "j", "path": "a\\b \"q\""])
                let samples = (0..<200).map { index in
                    let special: [Double] = [.infinity, -.infinity, 1e-300, 123_456_789.125]
                    let value: Double =
                        if metric == "probe_success" {
                            Double(Int.random(in: 0...1, using: &generator))
                        } else if index % 50 == 0 {
                            special[index / 50 % special.count]
                        } else {
                            Double.random(in: 0...2, using: &generator)
                        }
                    return Sample(timestamp: 1_795_000_000_000 + Int64(index) * 15_000 + Int64(index % 7), value: value)
                }
                written[labels] = samples
                writer.append(samples.map { LabeledSample(labels: labels, sample: $0) })
            }
        }
        await writer.close()

        let ioc = try BuiltProduct.path("ioc")
        let exported = try await TestProcess.run(ioc, ["export", "--db", source, #"{job="j"}"#, "--start", "0"])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stderr.contains("1200 samples"))
        let file = try directory.write("history.om", exported.stdout)
        let target = directory.file("target.db")
        let imported = try await TestProcess.run(ioc, ["import", "--db", target, file])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("1200 samples"))

        // Prometheus' own tool reads the export: the history can move to Prometheus.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") {
            let blocks = directory.file("blocks")
            let promtool = try await TestProcess.run(
                "/usr/bin/promtool", ["tsdb", "create-blocks-from", "openmetrics", file, blocks])
            #expect(promtool.status == 0, "\(promtool.stderr)")
            // One line per block written: ULID, min time, max time, duration, samples, chunks, series, size.
            let rows = promtool.stdout.split(separator: "\n").map {
                $0.split(separator: " ", omittingEmptySubsequences: true)
            }
            .filter { $0.count >= 8 && Int($0[1]) != nil }
            #expect(rows.reduce(0) { $0 + (Int($1[4]) ?? 0) } == 1200, "\(promtool.stdout)")
            #expect(rows.reduce(0) { $0 + (Int($1[6]) ?? 0) } >= 6)
        }

        let reader = try StoreReader(path: target)
        let series = try reader.select([try LabelMatcher("job", .equal, "j")], from: .min, through: .max)
        #expect(series.count == 6)
        for item in series {
            // Bit for bit: the text form of a double reads back to the same double.
            let same = item.samples == written[item.labels]
            #expect(same, "\(item.labels) differs")
        }
    }

    @Test func aBrokenFileWritesNothing() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("bad.om", "up{job=\"a\"} 1 1.000\nup{job=\"a\"} 1 2.000\n")  // no # EOF
        let result = try await TestProcess.run(
            try BuiltProduct.path("ioc"), ["import", "--db", directory.file("x.db"), file])
        #expect(result.status == 65)
        #expect(result.stderr.contains("must end with '# EOF'"))
        #expect(!FileManager.default.fileExists(atPath: directory.file("x.db")))
    }
}

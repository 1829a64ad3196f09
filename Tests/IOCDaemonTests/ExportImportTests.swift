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

    /// An import is all or nothing however large: a file of more than one batch whose last line is
    /// wrong leaves an existing store exactly as it was (its series and samples), and a good file
    /// streams in with every sample, the past hours closed into chunks.
    @Test func aLargeImportIsAllOrNothing() async throws {
        let directory = try TemporaryDirectory()
        let store = directory.file("ioc.db")
        let ioc = try BuiltProduct.path("ioc")
        let first = try directory.write("first.om", "# TYPE up unknown\nup{job=\"kept\"} 1 1796000000\n# EOF\n")
        #expect(try await TestProcess.run(ioc, ["import", "--db", store, first]).status == 0)
        // 300 series x 1,000 samples at 15 s (about 4 hours), series after series as ioc export writes.
        var text = "# TYPE probe_duration_seconds unknown\n"
        for series in 0..<300 {
            let head = "probe_duration_seconds{instance=\"https://t\(series).gov.vn/\",job=\"big\"} "
            for step in 0..<1_000 {
                text += head + "0.\(100_000 + (series * 7 + step * 13) % 900_000) \(1_796_100_000 + step * 15)\n"
            }
        }
        let good = try directory.write("good.om", text + "# EOF\n")
        let bad = try directory.write("bad.om", text + "probe_duration_seconds{job=\"big\" 1 1796200000\n# EOF\n")
        let refused = try await TestProcess.run(ioc, ["import", "--db", store, bad], timeout: .seconds(120))
        #expect(refused.status == 65, "\(refused.stderr)")
        #expect(
            refused.stderr.contains("line 300002") && refused.stderr.contains("nothing was imported"),
            "\(refused.stderr)")
        var reader = try StoreReader(path: store)
        #expect(try reader.select([try LabelMatcher("job", .equal, "big")], from: .min, through: .max).isEmpty)
        #expect(try reader.select([try LabelMatcher("job", .equal, "kept")], from: .min, through: .max).count == 1)

        let imported = try await TestProcess.run(ioc, ["import", "--db", store, good], timeout: .seconds(120))
        #expect(imported.status == 0 && imported.stdout.contains("300000 samples"), "\(imported.stderr)")
        reader = try StoreReader(path: store)
        let series = try reader.select([try LabelMatcher("job", .equal, "big")], from: .min, through: .max)
        #expect(series.count == 300 && series.allSatisfy { $0.samples.count == 1_000 })
        #expect(series.first?.samples.first?.value == 0.1)
        #expect(sqliteIntegrityCheck(store) == "ok")
    }
}

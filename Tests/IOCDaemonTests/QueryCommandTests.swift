import Foundation
import IOCCore
import IOCStore
import TestSupport
import Testing

/// `ioc query` against a store file: PromQL at an instant and over a range, as text and as
/// Prometheus' API JSON, with times as Unix seconds or RFC 3339.
@Suite struct QueryCommandTests {
    /// Two counters every 15 s for 10 minutes from 2026-11-29T00:00:00Z.
    func store() throws -> (TemporaryDirectory, String) {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let writer = try SampleWriter(path: path)
        let start: Int64 = 1_795_910_400_000
        for step in 0...40 {
            writer.append(
                ["hue", "hanoi"].enumerated().map { index, province in
                    LabeledSample(
                        labels: Labels(["__name__": "dossiers_total", "province": province]),
                        sample: Sample(timestamp: start + Int64(step) * 15_000, value: Double(step * (index + 1))))
                })
        }
        writer.close()
        return (directory, path)
    }

    /// `-o json` for scripts: `ioc labels`, `ioc check` and `ioc rules check` print JSON that reads
    /// back to what the text says, and keep their exit statuses.
    @Test func labelsCheckAndRulesCheckPrintJSON() async throws {
        let (directory, path) = try store()
        let ioc = try BuiltProduct.path("ioc")
        func json(_ arguments: [String], status: Int32 = 0) async throws -> Any? {
            let result = try await TestProcess.run(ioc, arguments + ["-o", "json"])
            #expect(result.status == status, "\(arguments): \(result)")
            return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        }
        #expect(try await json(["labels", "--db", path]) as? [String] == ["__name__", "province"])
        #expect(try await json(["labels", "--db", path, "province"]) as? [String] == ["hanoi", "hue"])

        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let checked = try await json(["check", "--config", "\(repository)/iocd.yaml"]) as? [String: Any]
        #expect(checked?["ok"] as? Bool == true && (checked?["rules"] as? Int ?? 0) > 50, "\(checked ?? [:])")
        let broken = try directory.write(
            "broken.yaml", "storage: {path: x.db}\nprobe_files: [nothing-*.yaml]\nbogus: 1\n")
        let refused = try await json(["check", "--config", broken], status: 78) as? [String: Any]
        #expect(refused?["ok"] as? Bool == false && (refused?["error"] as? String)?.contains("bogus") == true)

        let badRules = try directory.write(
            "bad.yaml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up ==\n")
        let rules =
            try await json(
                [
                    "rules", "check", "\(repository)/rules/availability.yaml", badRules,
                    "\(repository)/rules/availability.test.yaml",
                ],
                status: 1) as? [[String: Any]]
        #expect(rules?.map { $0["status"] as? String } == ["success", "failed", "skipped"], "\(rules ?? [])")
        #expect((rules?[1]["error"] as? String)?.contains("bad.yaml:5") == true)
    }

    @Test func anInstantQueryPrintsPromtoolLinesOrPrometheusJSON() async throws {
        let (directory, path) = try store()
        _ = directory
        let ioc = try BuiltProduct.path("ioc")
        let text = try await TestProcess.run(
            ioc, ["query", "--db", path, "sum(rate(dossiers_total[5m]))", "--time", "2026-11-29T00:10:00Z"])
        #expect(text.status == 0, "\(text.stderr)")
        // 1 and 2 per 15 s: 0.2 per second together.
        #expect(text.stdout == "{} => 0.2 @[1795911000.000]\n")

        let json = try await TestProcess.run(
            ioc, ["query", "--db", path, "dossiers_total > 70", "--time", "1795911000", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        #expect(
            json.stdout
                == #"{"resultType":"vector","result":[{"metric":{"__name__":"dossiers_total","province":"hanoi"},"value":[1795911000,"80"]}]}"#
                + "\n")
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(parsed?["resultType"] as? String == "vector")

        let scalar = try await TestProcess.run(ioc, ["query", "--db", path, "1 + 2", "--time", "0", "--json"])
        #expect(scalar.stdout == #"{"resultType":"scalar","result":[0,"3"]}"# + "\n")
    }

    @Test func aRangeQueryPrintsEverySeriesPoints() async throws {
        let (directory, path) = try store()
        _ = directory
        let ioc = try BuiltProduct.path("ioc")
        let text = try await TestProcess.run(
            ioc,
            [
                "query", "--db", path, #"dossiers_total{province="hue"}"#, "--start", "2026-11-29T00:00:00Z",
                "--end", "2026-11-29T00:02:00Z", "--step", "1m",
            ])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(
            text.stdout
                == #"dossiers_total{province="hue"} =>"#
                + "\n0 @[1795910400.000]\n4 @[1795910460.000]\n8 @[1795910520.000]\n")
        let json = try await TestProcess.run(
            ioc,
            [
                "query", "--db", path, "count(dossiers_total)", "--start", "1795910400", "--end", "1795910460",
                "--step", "60", "--json",
            ])
        #expect(
            json.stdout
                == #"{"resultType":"matrix","result":[{"metric":{},"values":[[1795910400,"2"],[1795910460,"2"]]}]}"#
                + "\n")
    }

    @Test func badTimesAndExpressionsAreExplained() async throws {
        let (directory, path) = try store()
        _ = directory
        let ioc = try BuiltProduct.path("ioc")
        let time = try await TestProcess.run(ioc, ["query", "--db", path, "up", "--time", "last tuesday"])
        #expect(time.status != 0)
        #expect(
            time.stderr.contains("--time 'last tuesday': expected now, -1h, yesterday, Unix seconds or an RFC 3339"))
        let range = try await TestProcess.run(ioc, ["query", "--db", path, "up[5m]", "--start", "0"])
        #expect(range.status != 0)
        #expect(range.stderr.contains("invalid expression type \"range vector\" for range query"))
        let syntax = try await TestProcess.run(ioc, ["query", "--db", path, "sum(up"])
        #expect(syntax.status != 0)
        #expect(syntax.stderr.contains("unexpected end of query, expected ',' or ')'"))
    }
}

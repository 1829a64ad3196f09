import Foundation
import Glibc
import IOCCore
import TestSupport
import Testing

/// iocd's HTTP listener against real clients: curl, and Debian's Prometheus scraping `/metrics` and
/// `/federate` and reading back the values iocd serves.
@Suite struct APIEndToEndTests {
    static func get(_ url: String, _ extra: [String] = []) async throws -> (code: String, body: String) {
        let result = try await TestProcess.run(
            "/usr/bin/curl", ["-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "10"] + extra + [url])
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (String(lines.last ?? ""), lines.dropLast().joined(separator: "\n"))
    }

    /// Build info, targets and metadata in Prometheus' shapes, as Grafana reads them.
    static func checkStatusEndpoints(_ base: String, closedPort: Int) async throws {
        func data(_ path: String) async throws -> [String: Any]? {
            let answer = try await get(base + path)
            let object = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
            #expect(answer.code == "200" && object?["status"] as? String == "success", "\(path): \(answer)")
            return object?["data"] as? [String: Any]
        }
        let build = try await data("/api/v1/status/buildinfo")
        for key in ["version", "revision", "branch", "buildUser", "buildDate", "goVersion"] {
            #expect(build?[key] is String, "buildinfo lacks \(key)")
        }
        #expect(build?["version"] as? String == IOCVersion.current)

        let targets = try await data("/api/v1/targets")
        let active = targets?["activeTargets"] as? [[String: Any]] ?? []
        #expect(active.count == 1 && (targets?["droppedTargets"] as? [Any])?.isEmpty == true, "\(targets ?? [:])")
        let target = active.first ?? [:]
        #expect(target["health"] as? String == "down", "the probed port refuses: \(target)")
        #expect((target["lastError"] as? String)?.isEmpty == false)
        #expect((target["labels"] as? [String: String])?["province"] == "Huế")
        #expect(target["scrapePool"] as? String == "portal" && target["scrapeInterval"] as? String == "1s")
        #expect(target["scrapeUrl"] as? String == "http://127.0.0.1:\(closedPort)/health")
        #expect(target["lastScrape"] as? String != "0001-01-01T00:00:00Z" && target["lastScrapeDuration"] is Double)
        let otherPool = try await data("/api/v1/targets?scrapePool=nothing&state=active")
        // As Prometheus 2.42: both lists always; a state it does not know lists neither kind.
        #expect(
            (otherPool?["activeTargets"] as? [Any])?.isEmpty == true
                && (otherPool?["droppedTargets"] as? [Any])?.isEmpty == true)
        #expect((try await data("/api/v1/targets?state=sideways")?["activeTargets"] as? [Any])?.isEmpty == true)
        #expect((try await data("/api/v1/targets?state=ACTIVE")?["activeTargets"] as? [Any])?.count == 1)

        let metadata = try await data("/api/v1/metadata")
        let success = (metadata?["probe_success"] as? [[String: String]])?.first
        #expect(success?["type"] == "gauge" && success?["help"]?.isEmpty == false, "\(metadata ?? [:])")
        let one = try await data("/api/v1/metadata?metric=probe_duration_seconds")
        #expect(one?.keys.sorted() == ["probe_duration_seconds"])
        #expect(try await data("/api/v1/metadata?limit=2")?.count == 2)
        // Prometheus' limit: negative is none, zero lists nothing, a word is refused in its words.
        #expect(try await data("/api/v1/metadata?limit=0")?.isEmpty == true)
        #expect((try await data("/api/v1/metadata?limit=-1")?.count ?? 0) > 2)
        let word = try await get(base + "/api/v1/metadata?limit=two")
        #expect(word.code == "400" && word.body.contains("limit must be a number"), "\(word)")
    }

    /// jemalloc reads the options built into iocd (an arena per processor, freed pages back to the
    /// kernel within seconds): its statistics at exit print the options it runs with.
    @Test func jemallocRunsWithTheBuiltInOptions() async throws {
        let result = try await TestProcess.run(
            try BuiltProduct.path("iocd"), ["--version"], environment: ["MALLOC_CONF": "stats_print:true"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains(#"opt.percpu_arena: "percpu""#), "\(result.stderr.prefix(2000))")
        #expect(result.stderr.contains("opt.dirty_decay_ms: 2000"), "\(result.stderr.prefix(2000))")
    }

    @Test func theAPIAnswersAsPrometheusAndPrometheusScrapesIt() async throws {
        try await HeavyTests.one {
            let closed = ClosedPort()
            defer { withExtendedLifetime(closed) {} }
            let directory = try TemporaryDirectory()
            let port = refusedPort()
            let config = try directory.write(
                "iocd.yaml",
                """
                storage: {path: ioc.db}
                probe_files: [probes.yaml]
                http: {listen: '127.0.0.1:\(port)'}
                """)
            try directory.write(
                "probes.yaml",
                "groups:\n  - name: portal\n    interval: 1s\n    timeout: 500ms\n    labels: {province: Huế}\n    targets:\n"
                    + "      - url: http://127.0.0.1:\(closed.number)/health\n")
            let daemon = try TestProcess(try BuiltProduct.path("iocd"), ["--config", config])
            defer { daemon.signal(SIGTERM) }
            let base = "http://127.0.0.1:\(port)"
            let probed = try await waitUntil(timeout: .seconds(20)) {
                try await Self.get("\(base)/api/v1/query?query=probe_success").body.contains(#""province":"Huế""#)
            }
            #expect(probed, "\(daemon.standardError)")
            #expect(try await Self.get("\(base)/-/healthy").code == "200")
            #expect(try await Self.get("\(base)/-/ready").code == "200")
            let answer = try await Self.get("\(base)/api/v1/query?query=probe_success")
            #expect(
                answer.body.hasPrefix(
                    #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"probe_success""#
                ))
            // Bad requests: Prometheus' error JSON with a 400, and iocd goes on probing.
            let bad = try await Self.get("\(base)/api/v1/query?query=sum(")
            #expect(bad.code == "400" && bad.body.contains(#""errorType":"bad_data""#), "\(bad)")
            let unknown = try await Self.get("\(base)/api/v1/nothing")
            #expect(unknown.code == "404")
            let huge = try await Self.get(
                "\(base)/api/v1/query", ["--data-urlencode", "query=" + String(repeating: "a", count: 100_000)])
            #expect(huge.code == "400" && huge.body.contains("longer than"), "\(huge.code)")
            let range = try await Self.get(
                "\(base)/api/v1/query_range?query=probe_success&start=\(WallClock.nowMilliseconds() / 1000 - 60)&end=\(WallClock.nowMilliseconds() / 1000)&step=15s"
            )
            #expect(range.body.contains(#""resultType":"matrix""#))
            #expect(try await Self.get("\(base)/api/v1/labels").body.contains(#""province""#))
            #expect(try await Self.get("\(base)/api/v1/label/province/values").body.contains(#""Huế""#))
            #expect(try await Self.get("\(base)/api/v1/series?match[]=probe_success").body.contains(#""job":"portal""#))
            let metrics = try await Self.get("\(base)/metrics")
            #expect(metrics.body.contains("# TYPE ioc_probes_total counter"))
            // iocd as built allocates with jemalloc (Package.swift links it), and says so.
            #expect(metrics.body.contains(#"allocator="jemalloc"}"#), "\(metrics.body.prefix(600))")
            // The probes' samples are in the open hour's chunks, and the gauge says so.
            let chunks = metrics.body.split(separator: "\n").first {
                $0.hasPrefix(#"ioc_store_memory_bytes{part="open_chunks"}"#)
            }
            #expect((chunks.flatMap { Double($0.split(separator: " ")[1]) } ?? 0) > 0, "\(metrics.body)")
            try await Self.checkStatusEndpoints(base, closedPort: closed.number)
            let federated = try await Self.get("\(base)/federate?match[]=probe_success")
            #expect(federated.body.contains(#"probe_success{instance="http://127.0.0.1:"#), "\(federated.body)")

            // ioc dashboard --source: the same dashboards, from this iocd's API rather than a file.
            let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().path
            let frame = try await TestProcess.run(
                try BuiltProduct.path("ioc"),
                [
                    "dashboard", "--source", base, "--dashboards", "\(repository)/dashboards/*.yaml", "--dashboard",
                    "overview", "--snapshot", "140x40",
                ])
            #expect(
                frame.stdout.contains("Provinces × services") && frame.stdout.contains(base),
                "\(frame.stdout)\(frame.stderr)")
            // The one target is down: availability 0 %, its province in the grid.
            #expect(frame.stdout.contains("Huế") && frame.stdout.contains(" 0%"), "\(frame.stdout)")

            // Slow clients: a hundred connections that send half a request and wait. The API still
            // answers, and probing goes on at its pace.
            var stalled: [Int32] = []
            defer { stalled.forEach { close($0) } }
            for _ in 0..<100 {
                guard let descriptor = loopbackConnection(port: port) else { continue }
                let half = Array("GET /api/v1/query?query=up HTTP/1.1\r\nHost: x\r\n".utf8)
                _ = write(descriptor, half, half.count)
                stalled.append(descriptor)
            }
            func probesTotal() async throws -> Double {
                let body = try await Self.get("\(base)/metrics").body
                let line = body.split(separator: "\n").first { $0.hasPrefix("ioc_probes_total ") }
                return line.flatMap { Double($0.split(separator: " ")[1]) } ?? 0
            }
            let before = try await probesTotal()
            #expect(try await Self.get("\(base)/-/healthy").code == "200")
            #expect(try await waitUntil(timeout: .seconds(10)) { try await probesTotal() >= before + 3 })
            stalled.forEach { close($0) }
            stalled = []

            // Debian's Prometheus scrapes both and reads back the same values.
            let prometheusPort = refusedPort()
            let prometheusConfig = try directory.write(
                "prometheus.yml",
                """
                global: {scrape_interval: 1s}
                scrape_configs:
                  - job_name: iocd
                    static_configs: [{targets: ['127.0.0.1:\(port)']}]
                  - job_name: federate
                    metrics_path: /federate
                    honor_labels: true
                    params: {'match[]': ['probe_success']}
                    static_configs: [{targets: ['127.0.0.1:\(port)']}]
                """)
            let prometheus = try TestProcess(
                "/usr/bin/prometheus",
                [
                    "--config.file=\(prometheusConfig)", "--storage.tsdb.path=\(directory.file("tsdb"))",
                    "--web.listen-address=127.0.0.1:\(prometheusPort)",
                ])
            defer { prometheus.signal(SIGTERM) }
            let scraped = try await waitUntil(timeout: .seconds(40)) {
                let up = try await Self.get("http://127.0.0.1:\(prometheusPort)/api/v1/query?query=up")
                let value = try await Self.get(
                    "http://127.0.0.1:\(prometheusPort)/api/v1/query?query=probe_success%7Bprovince%3D%22Hu%E1%BA%BF%22%7D"
                )
                return up.body.components(separatedBy: #""1"]"#).count == 3 && value.body.contains(#""job":"portal""#)
            }
            #expect(scraped, "\(prometheus.standardError.suffix(2000))")
            let theirs = try await Self.get(
                "http://127.0.0.1:\(prometheusPort)/api/v1/query?query=probe_success%7Bprovince%3D%22Hu%E1%BA%BF%22%7D")
            #expect(theirs.body.contains(#""0"]"#), "\(theirs.body)")
            let counted = try await Self.get("http://127.0.0.1:\(prometheusPort)/api/v1/query?query=ioc_probes_total")
            #expect(counted.body.contains(#""job":"iocd""#), "\(counted.body)")
        }
    }
}

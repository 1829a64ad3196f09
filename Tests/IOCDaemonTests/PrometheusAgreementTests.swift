import Foundation
import IOCCore
import IOCQuery
import TestSupport
import Testing

/// iocd's answers beside those of Debian's Prometheus 2.42 over the same samples: the same file
/// read by `ioc import` into a real store and by `promtool` into blocks, the same queries through
/// both HTTP APIs. The PromQL tests check the engine over samples in memory; this checks what the
/// store gives it too (its chunks and their codec, the open hour, the caches), with data unlike a
/// probe's: counters with resets, gauges with gaps, and gauges at irregular times whose intervals
/// change by each bucket edge of the codec (a change of +64 ms came back as -64 until 2026-12).
///
/// The times asked fall half a second off every sample, so that no window starts exactly on one:
/// iocd's windows are open on the left as Prometheus 3's, and 2.42 would count that sample. The
/// subquery's steps are whole seconds and the counters' samples a quarter past: neither its inner
/// windows nor its outer one (ending at the half seconds asked) can start on a point. With steps
/// of 59,999 ms the outer window started on an inner step now and then (at 11:37 on 2026-12-07),
/// and Prometheus 2.42 counted that step's rate.
@Suite struct PrometheusAgreementTests {
    static let queries = [
        "rate(c_total[5m])", "increase(c_total[10m])", "irate(c_total[2m])", "resets(c_total[30m])",
        "sum by (svc) (rate(c_total[5m]))", "avg by (svc) (rate(c_total[5m]))", "topk(3, rate(c_total[5m]))",
        "bottomk(2, c_total)", "count by (svc) (c_total > 500)", "avg_over_time(g[10m])",
        "round(avg_over_time(g[10m]))",
        "stddev_over_time(g[10m])", "stdvar_over_time(j[5m])", "deriv(j[5m])", "predict_linear(g[15m] offset 2m, 600)",
        "quantile_over_time(0.9, j[10m])", "max_over_time(j[7m])", "min_over_time(g[3m])", "changes(j[20m])",
        "idelta(j[3m])", "delta(g[5m])", "timestamp(j)", "timestamp(j > bool 0)", "count_over_time(j[5m])",
        "last_over_time(g[10m])", "g", "j offset 1m", "sum(g)", "avg(g)", "-g", "abs(g) + 1",
        #"label_replace(g, "x", "$1", "i", "(.*)")"#, "max_over_time(rate(c_total[5m])[20m:59s])",
        #"absent(j{i="none"})"#, "sum(j) / count(j)",
    ]

    @Test func answersAreThoseOfPrometheusOverTheSameSamples() async throws {
        try await HeavyTests.one {
            let directory = try TemporaryDirectory()
            let end = (Int64(Date().timeIntervalSince1970) - 600) / 60 * 60
            let start = end - 5400
            let series = try directory.write("data.om", Self.samples(from: start, through: end))
            let imported = try await TestProcess.run(
                try BuiltProduct.path("ioc"), ["import", "--db", directory.file("ioc.db"), series])
            #expect(imported.status == 0, "\(imported.stderr)")
            let blocks = try await TestProcess.run(
                "/usr/bin/promtool", ["tsdb", "create-blocks-from", "openmetrics", series, directory.file("tsdb")],
                timeout: .seconds(120))
            #expect(blocks.status == 0, "\(blocks.stderr)")

            let port = refusedPort()
            let config = try directory.write(
                "iocd.yaml",
                """
                storage: {path: \(directory.file("ioc.db"))}
                http: {listen: '127.0.0.1:\(port)'}
                rule_files: [\(try directory.write("rules.yml", Self.rules))]
                evaluation_interval: 1s

                """)
            let daemon = try TestProcess(try BuiltProduct.path("iocd"), ["--config", config])
            defer { daemon.signal(SIGTERM) }
            let prometheusPort = refusedPort()
            let prometheus = try TestProcess(
                "/usr/bin/prometheus",
                [
                    "--config.file=\(try directory.write("prometheus.yml", "global: {evaluation_interval: 1s}\nrule_files: [\(directory.file("rules.yml"))]\n"))",
                    "--storage.tsdb.path=\(directory.file("tsdb"))", "--storage.tsdb.retention.time=10y",
                    "--web.listen-address=127.0.0.1:\(prometheusPort)",
                ])
            defer { prometheus.signal(SIGTERM) }
            let servers = ["http://127.0.0.1:\(port)", "http://127.0.0.1:\(prometheusPort)"]
            // Both hold every series before anything is compared.
            let counting = [
                "query=count(count_over_time(c_total[2h])) + count(count_over_time(g[2h])) + count(count_over_time(j[2h]))",
                "time=\(end)",
            ]
            let ready = try await waitUntil(timeout: .seconds(60)) {
                for server in servers {
                    guard case .vector(let elements)? = try await Self.ask(server, counting),
                        elements.first?.value == 46
                    else { return false }
                }
                return true
            }
            let counted = (try await Self.ask(servers[0], counting), try await Self.ask(servers[1], counting))
            #expect(
                ready,
                """
                iocd \(String(describing: counted.0)): \(daemon.standardError.suffix(1000))
                Prometheus \(String(describing: counted.1)): \(prometheus.standardError.suffix(1000))
                """)
            guard ready else { return }

            for query in Self.queries {
                let asks = [
                    ["query=\(query)", "time=\(end - 1237).5"], ["query=\(query)", "time=\(end).5"],
                    ["query=\(query)", "start=\(start + 1200).5", "end=\(end).5", "step=37"],
                ]
                for parameters in asks {
                    let ours = try await Self.ask(servers[0], parameters)
                    let theirs = try await Self.ask(servers[1], parameters)
                    let difference = Self.difference(ours, theirs)
                    #expect(difference == nil, "\(parameters): \(difference ?? "")")
                }
            }

            // Requests at the edges of their parameters, the same status and body word for word;
            // those answered at "now" or in a parser's words the same status and outcome.
            for (target, atNow) in Self.edgeRequests {
                let (ours, theirs, told) = try await Self.both(
                    servers, target.hasPrefix("/") ? target : "/api/v1/" + target)
                if atNow {
                    #expect(ours.status == theirs.status && ours.succeeded == theirs.succeeded, "\(told)")
                } else {
                    #expect(ours == theirs, "\(told)")
                }
            }
            // The rules and their alerts once both have evaluated them, as Prometheus lists them
            // (times and the file's path aside): each rule's state, hold, labels and annotations as
            // written, its pending and firing alerts with their values in Go's 'e' format.
            let listed = try await waitUntil(timeout: .seconds(30)) {
                for server in servers {
                    let rules = try await Self.fetch(server + "/api/v1/rules").body
                    guard rules.contains(#""state":"firing""#), rules.contains(#""state":"pending""#) else {
                        return false
                    }
                }
                return true
            }
            #expect(listed, "the alerts did not come up in both")
            for target in ["rules", "rules?type=alert", "rules?type=RECORD", "rules?type=x", "alerts"] {
                let (ours, theirs, told) = try await Self.both(servers, "/api/v1/" + target)
                #expect(
                    ours.status == theirs.status && Self.timeless(ours.body) == Self.timeless(theirs.body), "\(told)")
            }
            // Forms posted as Grafana posts them: the body's values before the query string's.
            for (target, type, body) in Self.formRequests {
                let (ours, theirs, told) = try await Self.both(servers, "/api/v1/" + target, posting: body, as: type)
                #expect(ours == theirs, "\(told)")
            }
        }
    }

    /// Paths under /api/v1/ (or from the root) as sent (curl does not encode them), and whether the body may differ
    /// (it holds the time of asking, or a parser's own words). Go's query parser leaves out a pair with a broken escape or a `;` (and
    /// `/series` refuses the request then); empty optional parameters are absent ones; a range
    /// query's parameters are checked in Prometheus' order, its step as Prometheus reads it, and
    /// 11,000 steps after the first are allowed.
    static let edgeRequests: [(String, Bool)] = [
        ("query?query=1&time=100&x=%zz", false), ("query?query=1&time=1%zz", true), ("query?query=1%zz", false),
        ("query?query=1;2&time=100", false), ("query?query=&time=100", false), ("query?query=%20%09", false),
        ("query?query=1&time=", true), ("query?query=1&time=abc", false), ("query?query=1&timeout=", true),
        ("query?query=1&time=100&timeout=abc", false),
        ("query_range?query=1&start=&end=10&step=5", false), ("query_range?query=1&start=0&end=10&step=", false),
        ("query_range?query=foo(&end=10&step=5", false), ("query_range?query=1&start=0&end=10", false),
        ("query_range?query=1&start=10&end=0&step=5", false), ("query_range?query=1&start=0&end=10&step=0", false),
        ("query_range?query=1&start=0&end=10&step=-5", false), ("query_range?query=1&start=0&end=10&step=0s", false),
        ("query_range?query=1&start=0&end=10&step=-1m", false), ("query_range?query=1&start=0&end=10&step=NaN", false),
        ("query_range?query=1&start=0&end=10&step=Inf", false),
        ("query_range?query=1&start=0&end=10&step=0.0001", false),
        ("query_range?query=1&start=0&end=11000&step=1", false),
        ("query_range?query=1&start=0&end=11001&step=1", false),
        ("query_range?query=1&start=0&end=10&step=5&timeout=", false),
        ("query_range?query=rate(g[1m])&start=0&end=10&step=5&x=%zz", false),
        ("query_range?query=&start=0&end=10&step=5", false), ("query_range?query=g[5m]&start=0&end=10&step=5", false),
        ("series?match[]=none&x=%zz", false), ("series?match[]=none&x;y=1", false), ("series?match[]=none&x=%4", false),
        ("series?match[]=none&x=%e1%zz", false), ("series?%zz=1&match[]=none", false),
        ("series?match[]=none&start=abc", false), ("series?match[]=none&end=abc", false),
        ("series?match[]=none&start=", false), ("series?x=1&start=abc", false), ("labels?start=abc", false),
        ("label/svc/values?end=abc", false), ("label/svc/values?x=%zz", false),
        // A dashboard variable's query: the values, or names, of the series `match[]` selects.
        ("label/i/values?match[]=g", false), ("label/i/values?match[]=j&match[]=g", false),
        ("label/svc/values?match[]=c_total%7Bsvc%3D%22s1%22%7D", false), ("labels?match[]=j", false),
        ("label/i/values?match[]=none", false), ("labels?match[]=none", false),
        ("label/__name__/values?match[]=%7Bi%3D~%22.%2B%22%7D", false), ("labels?match[]=%7B", true),
        // Neither holds exemplars of these series.
        ("query_exemplars?query=g&start=0&end=100", false), ("query_exemplars?query=g&start=abc", false),
        ("query_exemplars?query=&start=0", false),
        // Federation: the samples are older than its five minutes, so nothing, not an empty line.
        ("/federate?match[]=g", false), ("/federate?match[]=%7B", true),
    ]

    /// Two groups of rules of each kind, alerts firing, pending and inactive.
    static let rules = """
        groups:
          - name: g1
            interval: 1s
            rules:
              - alert: AlwaysOn
                expr: vector(1) > 0
                labels: {severity: critical, team: "{{ $value }}"}
                annotations: {summary: "value {{ $value }}"}
              - alert: Waiting
                expr: vector(2.5) / 1000
                for: 1h
              - alert: Never
                expr: vector(1) < 0
              - record: job:one
                expr: vector(1)
                labels: {kind: recorded}
          - name: g2
            interval: 1s
            rules:
              - record: two
                expr: vector(2)

        """

    /// A JSON answer with its times, durations and file paths blanked, keys sorted: what two
    /// servers evaluating the same rules at their own moments agree on.
    static func timeless(_ body: String) -> String {
        func blank(_ value: Any, key: String? = nil) -> Any {
            if ["evaluationTime", "lastEvaluation", "activeAt", "file"].contains(key) { return "-" }
            if let object = value as? [String: Any] {
                return Dictionary(uniqueKeysWithValues: object.map { ($0.key, blank($0.value, key: $0.key)) })
            }
            if let array = value as? [Any] { return array.map { blank($0) } }
            return value
        }
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(body.utf8)),
            let again = try? JSONSerialization.data(withJSONObject: blank(parsed), options: [.sortedKeys])
        else { return body }
        return String(decoding: again, as: UTF8.self)
    }

    /// Forms posted (path, content type, body); label values is routed for GET alone.
    static let formRequests: [(String, String, String)] = [
        ("query", "application/x-www-form-urlencoded; charset=UTF-8", "query=time()&time=4000"),
        ("query?time=5000", "application/x-www-form-urlencoded", "query=time()&time=4000"),
        ("query?query=-1", "Application/X-WWW-Form-URLEncoded", "query=time()&time=4000"),
        ("query", "text/plain", "query=time()&time=4000"),
        ("query", "application/x-www-form-urlencoded", "query=g&x=%zz&time=1"),
        ("query_range?step=5", "application/x-www-form-urlencoded", "query=1&start=0&end=10&step=2"),
        ("series", "application/x-www-form-urlencoded", "match[]=none&x=%zz"),
        ("labels", "application/x-www-form-urlencoded", "match[]=j"), ("label/i/values", "text/plain", ""),
    ]

    /// The status and body of a GET of `url`, sent as it is, or of a POST of `body`.
    static func fetch(_ url: String, posting body: String? = nil, as type: String = "") async throws -> Answer {
        let post = body.map { ["-X", "POST", "-H", "Content-Type: \(type)", "--data-raw", $0] } ?? []
        let result = try await TestProcess.run(
            "/usr/bin/curl", ["-sg", "--max-time", "20", "-w", "\n%{http_code}"] + post + [url])
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return Answer(status: lines.last.map(String.init) ?? "", body: lines.dropLast().joined(separator: "\n"))
    }

    /// `path` asked of iocd and then of Prometheus (`servers`), posting `body` if given, and both
    /// answers told for a failure.
    static func both(_ servers: [String], _ path: String, posting body: String? = nil, as type: String = "")
        async throws -> (ours: Answer, theirs: Answer, told: String)
    {
        let ours = try await fetch(servers[0] + path, posting: body, as: type)
        let theirs = try await fetch(servers[1] + path, posting: body, as: type)
        let request = body.map { "POST \(path) \(type) \($0)" } ?? path
        return (ours, theirs, "\(request)\n  iocd:       \(ours)\n  Prometheus: \(theirs)")
    }

    struct Answer: Equatable {
        var status: String
        var body: String
        var succeeded: Bool { body.contains(#""status":"success""#) }
    }

    /// 30 counters `c_total{svc, i}` every 15 s (a quarter second past) with a reset now and then; 10 gauges `g{i}` of
    /// fractions either side of zero, each missing ten minutes; 6 gauges `j{i}` whose intervals
    /// change by the codec's bucket edges (±64, ±8192, ±524288 ms and their neighbours), never at
    /// a time with 500 ms (the times asked).
    static func samples(from start: Int64, through end: Int64) -> String {
        var random = SplitMix64(seed: 41)
        var text = "# TYPE c counter\n"
        for index in 0..<30 {
            var value = Double(random.next() % 1_000)
            for time in stride(from: start, through: end, by: 15) {
                value = random.next() % 97 == 0 ? 0 : value + Double(random.next() % 50)
                text += "c_total{svc=\"s\(index % 3)\",i=\"\(index)\"} \(value) \(time).250\n"
            }
        }
        text += "# TYPE g gauge\n"
        for index in 0..<10 {
            for time in stride(from: start, through: end, by: 15) where (time - start) / 600 != Int64(index % 9) {
                text += "g{i=\"\(index)\"} \(Double(Int64(random.next() % 20_001) - 10_000) / 7) \(time)\n"
            }
        }
        text += "# TYPE j gauge\n"
        let changes: [Int64] = [64, -63, 65, -64, 8192, -8191, 8193, -8192, 524_288, -524_287, 1, -1, 0, 7, -7]
        for index in 0..<6 {
            var time = start * 1000 + Int64(index) * 1_001
            var interval: Int64 = 15_000
            var step = index
            while time <= end * 1000 {
                if time % 1000 != 500 {
                    let seconds = String(format: "%.3f", Double(time) / 1000)
                    text += "j{i=\"\(index)\"} \(Double(random.next() % 100_000) / 100 - 300) \(seconds)\n"
                }
                interval = max(10_000, min(600_000, interval + changes[step % changes.count]))
                step += 1
                time += interval
            }
        }
        return text + "# EOF\n"
    }

    static func ask(_ server: String, _ parameters: [String]) async throws -> QueryValue? {
        let path = parameters.contains { $0.hasPrefix("step=") } ? "/api/v1/query_range" : "/api/v1/query"
        let result = try await TestProcess.run(
            "/usr/bin/curl",
            ["-sfG", "--max-time", "20"] + parameters.flatMap { ["--data-urlencode", $0] } + [server + path])
        guard result.status == 0 else { return nil }
        struct Answer: Decodable { var data: PrometheusWire.QueryData }
        return try? JSONDecoder().decode(Answer.self, from: Data(result.stdout.utf8)).data.value()
    }

    /// Where two answers differ (series, times, or values beyond a relative 1e-9, NaN equal to NaN;
    /// not order, which only `sort` promises), or nil.
    static func difference(_ ours: QueryValue?, _ theirs: QueryValue?) -> String? {
        func same(_ a: Double, _ b: Double) -> Bool {
            a == b || (a.isNaN && b.isNaN) || (a.isFinite && b.isFinite && abs(a - b) <= 1e-9 * max(abs(a), abs(b)))
        }
        func points(_ value: QueryValue?) -> [Labels: [Sample]]? {
            switch value {
            case .scalar(let number)?: return [Labels(): [Sample(timestamp: 0, value: number)]]
            case .vector(let elements)?:
                return Dictionary(elements.map { ($0.labels, [Sample(timestamp: 0, value: $0.value)]) }) { $1 }
            case .matrix(let series)?: return Dictionary(series.map { ($0.labels, Array($0.samples)) }) { $1 }
            default: return nil
            }
        }
        guard let mine = points(ours), let others = points(theirs) else {
            return "no answer: iocd \(String(describing: ours)), Prometheus \(String(describing: theirs))"
        }
        guard Set(mine.keys) == Set(others.keys) else {
            return "series only iocd's \(Array(Set(mine.keys).subtracting(others.keys).prefix(3))), "
                + "only Prometheus' \(Array(Set(others.keys).subtracting(mine.keys).prefix(3)))"
        }
        for (labels, samples) in others {
            let ours = mine[labels] ?? []
            guard ours.map(\.timestamp) == samples.map(\.timestamp) else {
                return
                    "\(labels): times \(ours.map(\.timestamp).prefix(5)), Prometheus \(samples.map(\.timestamp).prefix(5))"
            }
            for (a, b) in zip(ours, samples) where !same(a.value, b.value) {
                return "\(labels) at \(a.timestamp): \(a.value), Prometheus \(b.value)"
            }
        }
        return nil
    }
}

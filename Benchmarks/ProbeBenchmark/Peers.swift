import Foundation
import Glibc
import IOCCore
import IOCHTTP
import IOCQuery

/// `ioc-bench peers`: the same counters in iocd, Prometheus and VictoriaMetrics (both from Debian),
/// the same queries through each one's HTTP API, one after another in every round, and the median
/// time of each in milliseconds, as the client sees it (request to last byte of the answer).
///
/// The data: `ioc_requests_total{province, service, instance}`, SERIES counters (34 provinces, 5
/// services) every 15 s for HOURS hours, ending ten minutes before now; written as OpenMetrics for
/// `ioc import` and `promtool tsdb create-blocks-from openmetrics`, and as Prometheus' text format
/// with millisecond timestamps for VictoriaMetrics' `/api/v1/import/prometheus`.
/// VictoriaMetrics runs with `-search.disableCache`: its cache of range results would answer
/// every round after the first from memory, and neither of the others keeps answers.
func peers() throws {
    let count = Int(option("series", "5000")) ?? 5000
    let hours = Int(option("hours", "2")) ?? 2
    let runs = Int(option("runs", "5")) ?? 5
    let only = option("only", "")
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("ioc-peers-\(getpid())").path
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    var servers: [Process] = []
    defer {
        for server in servers where server.isRunning { server.terminate() }
        for server in servers { server.waitUntilExit() }
        // `--keep`: the data and the three stores stay, to profile one of the servers over them.
        if CommandLine.arguments.contains("--keep") {
            print("kept in \(work)")
        } else {
            try? FileManager.default.removeItem(atPath: work)
        }
    }
    let end = (Int64(Date().timeIntervalSince1970) - 600) / 60 * 60
    let start = end - Int64(hours) * 3600 + 15
    let samples = try writePeerData(series: count, from: start, through: end, in: work)
    print("\(samples) samples: \(count) counters × \(hours) h at 15 s, ending \(end)")

    let client = HTTPClient()
    let systems = try startPeers(in: work, client: client, servers: &servers)
    for system in systems { try waitUntilAnswering(client, system.base + "/api/v1/query?query=1") }
    // Every system holds every series before anything is timed.
    for system in systems {
        let query = "count(count_over_time(ioc_requests_total[\(hours)h]))"
        let answer = try ask(client, system.base, .instant(query), at: end)
        guard answer.body.contains("\"\(count)\"") else {
            throw BenchmarkError(
                description: "\(system.name) does not hold \(count) series: \(answer.body.prefix(300))")
        }
    }

    // `--queries FILE`: other shapes, one a line (`range ` before a range query), instead of ours.
    let file = option("queries", "")
    let chosen =
        file.isEmpty
        ? peerQueries
        : try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        .map { line in
            line.hasPrefix("range ")
                ? PeerQuery(kind: .range(String(line.dropFirst(6)))) : PeerQuery(kind: .instant(line))
        }
    let queries = chosen.filter { only.isEmpty || $0.name.contains(only) }
    // `--compare`: not timed; iocd's answers beside Prometheus', at several times each.
    if CommandLine.arguments.contains("--compare") {
        try compare(queries, iocd: systems[0].base, prometheus: systems[1].base, end: end, hours: hours, client: client)
        return
    }
    let grouped = CommandLine.arguments.contains("--grouped")
    var timed: [(query: PeerQuery, medians: [Double])] = []
    // A shape one system refuses is reported and left out; the others are still timed.
    var refused: [(query: String, error: String)] = []
    print("query".padding(toLength: 62, withPad: " ", startingAt: 0) + "   iocd   Prometheus  VictoriaM.  series")
    for query in queries {
        var times = [[Double]](repeating: [], count: systems.count)
        var series = [Int](repeating: 0, count: systems.count)
        let label = query.name.count > 60 ? String(query.name.prefix(59)) + "…" : query.name
        do {
            // One round unmeasured (each system's caches as a repeated query finds them), then `runs`;
            // ten times as many when every system answered that round within 2 ms, where the
            // machine's noise (a wake-up, another process) is as large as the answer's time and the
            // median of five moved by a third from run to run.
            let span = Int64(hours) * 3600 - 600
            var slowest = 0.0
            for (position, system) in systems.enumerated() {
                let answer = try ask(client, system.base, query.kind, at: end, span: span)
                series[position] = answer.series
                slowest = max(slowest, answer.milliseconds)
            }
            let rounds = slowest < 2 ? runs * 10 : runs
            // In turns, each system follows another, whose work after its answer (Go's collector
            // after a large one above all) may fall in the next one's time; `--grouped`, each is
            // asked all its rounds in a row, in its own steady state.
            let order =
                grouped
                ? systems.indices.flatMap { Array(repeating: $0, count: rounds) }
                : (0..<rounds).flatMap { _ in systems.indices }
            for position in order {
                let answer = try ask(client, systems[position].base, query.kind, at: end, span: span)
                times[position].append(answer.milliseconds)
            }
        } catch {
            refused.append((query.name, "\(error)"))
            print(label.padding(toLength: 62, withPad: " ", startingAt: 0) + "   not timed: an error (below)")
            continue
        }
        let row = times.map(median)
        timed.append((query, row))
        print(
            label.padding(toLength: 62, withPad: " ", startingAt: 0)
                + row.map { String(format: $0 < 1 ? "%8.2f" : "%8.1f", $0) }.joined(separator: "    ")
                + "  " + series.map(String.init).joined(separator: "/"))
    }
    // How many times faster than the faster peer, per query and as a geometric mean.
    let ratios = timed.map { min($0.medians[1], $0.medians[2]) / max($0.medians[0], 0.001) }
    let slowest = zip(timed.map(\.query), ratios).min { $0.1 < $1.1 }
    let geometric = exp(ratios.map { log($0) }.reduce(0, +) / Double(max(1, ratios.count)))
    print(
        String(
            format: "iocd against the faster peer: geometric mean %.2f× faster; least %.2f× (%@)", geometric,
            slowest?.1 ?? 0, slowest?.0.name ?? ""))
    guard refused.isEmpty else {
        // What the servers answered goes to the terminal with its control characters escaped.
        for (query, error) in refused {
            print("not timed: \(ControlCharacters.escaped(query))\n  \(ControlCharacters.escaped(error))")
        }
        throw BenchmarkError(description: "\(refused.count) of \(queries.count) queries were not answered by all three")
    }
}

/// Asks iocd and Prometheus each query at times that fall on the data's samples, between them, on
/// an hour's edge and at fractions of a second, and prints where their answers differ. Throws if
/// any does.
private func compare(
    _ queries: [PeerQuery], iocd: String, prometheus: String, end: Int64, hours: Int, client: HTTPClient
) throws {
    let hour = end / 3600 * 3600
    let span = Int64(hours) * 3600 - 600
    // (time) for instant queries, (start, end, step) for range queries, as the API takes them.
    let instants = ["\(end).5", "\(end - 1837).5", "\(hour).25", "\(hour - 3600 + 7)"]
    let ranges = [
        ("\(end - span).5", "\(end).5", "60"), ("\(end - span + 7).5", "\(end - 1000).25", "37"),
        ("\(hour - 3600).25", "\(hour).25", "900"), ("\(end - 600).5", "\(end).5", "15"),
    ]
    var differing = 0
    var asked = 0
    for query in queries {
        let calls: [String]
        switch query.kind {
        case .instant(let text): calls = instants.map { "/api/v1/query?query=\(percentEncoded(text))&time=\($0)" }
        case .range(let text):
            calls = ranges.map {
                "/api/v1/query_range?query=\(percentEncoded(text))&start=\($0.0)&end=\($0.1)&step=\($0.2)"
            }
        }
        for call in calls {
            let answers = [iocd, prometheus].map {
                client.performWaiting(HTTPRequest(url: $0 + call, timeout: .seconds(120), maxBodyBytes: 256 << 20))
            }
            asked += 1
            let bodies = answers.map { String(decoding: $0.body, as: UTF8.self) }
            let difference: String?
            switch (answers[0].status, answers[1].status) {
            case (200, 200): difference = answersDiffer(bodies[0], bodies[1])
            case (let ours, let theirs) where ours == theirs: difference = nil
            case (let ours, let theirs):
                difference =
                    "HTTP \(ours ?? 0), Prometheus \(theirs ?? 0): \(bodies[0].prefix(200)) | \(bodies[1].prefix(200))"
            }
            if let difference {
                differing += 1
                print(
                    "differs: \(ControlCharacters.escaped(query.name)) [\(call.split(separator: "&").dropFirst().joined(separator: "&"))]"
                )
                print("  \(ControlCharacters.escaped(difference))")
            }
        }
    }
    print("\(asked) answers compared, \(differing) differ from Prometheus'")
    if differing > 0 { throw BenchmarkError(description: "\(differing) of \(asked) answers differ from Prometheus'") }
}

private func percentEncoded(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
}

/// iocd over a store made by `ioc import`, Prometheus over blocks backfilled from the same file,
/// VictoriaMetrics with the same samples imported: their names and base URLs.
private func startPeers(in work: String, client: HTTPClient, servers: inout [Process]) throws
    -> [(name: String, base: String)]
{
    let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
    var systems: [(name: String, base: String)] = []
    try run(bin + "/ioc", ["import", "--db", work + "/ioc.db", work + "/data.om"])
    let iocPort = freeLoopbackPort()
    try "storage:\n  path: \(work)/ioc.db\nhttp:\n  listen: 127.0.0.1:\(iocPort)\n".write(
        toFile: work + "/iocd.yaml", atomically: true, encoding: .utf8)
    servers.append(try launch(bin + "/iocd", ["--config", work + "/iocd.yaml"], log: work + "/iocd.log"))
    systems.append(("iocd", "http://127.0.0.1:\(iocPort)"))

    // Prometheus over blocks backfilled from the same file.
    try run("/usr/bin/promtool", ["tsdb", "create-blocks-from", "openmetrics", work + "/data.om", work + "/prom"])
    let promPort = freeLoopbackPort()
    servers.append(try launchPrometheus(in: work, configuration: "global: {}\n", port: promPort))
    systems.append(("Prometheus", "http://127.0.0.1:\(promPort)"))

    // VictoriaMetrics with the same samples imported.
    let vmPort = freeLoopbackPort()
    servers.append(
        try launch(
            "/usr/bin/victoria-metrics",
            [
                "-storageDataPath=\(work)/vm", "-retentionPeriod=100y", "-httpListenAddr=127.0.0.1:\(vmPort)",
                "-search.disableCache", "-loggerLevel=ERROR",
            ], log: work + "/vm.log"))
    let vm = "http://127.0.0.1:\(vmPort)"
    try waitUntilAnswering(client, vm + "/health")
    try importInto(client, vm, from: work + "/data.prom")
    _ = client.performWaiting(HTTPRequest(url: vm + "/internal/force_flush", timeout: .seconds(60)))
    systems.append(("VictoriaMetrics", vm))
    return systems
}

struct PeerQuery {
    enum Kind {
        case instant(String)
        case range(String)
    }
    var kind: Kind
    var text: String {
        switch kind {
        case .instant(let text), .range(let text): return text
        }
    }
    var name: String {
        if case .range = kind { return "range " + text }
        return text
    }
}

/// The issue's eight shapes, then others that take other paths through an engine.
let peerQueries: [PeerQuery] = [
    .init(kind: .instant("sum by (province) (rate(ioc_requests_total[5m]))")),
    .init(kind: .instant("avg_over_time(ioc_requests_total[1h])")),
    .init(kind: .instant("topk(10, rate(ioc_requests_total[5m]))")),
    .init(kind: .instant("histogram_quantile(0.9, sum by (le) (rate(ioc_requests_total[5m])))")),
    .init(kind: .instant("count by (service) (ioc_requests_total > 1000)")),
    .init(kind: .range("rate(ioc_requests_total{service=\"dvc\"}[5m])")),
    .init(kind: .range("sum by (province) (rate(ioc_requests_total[5m]))")),
    .init(kind: .range("max_over_time(ioc_requests_total{province=\"p07\"}[10m])")),
    .init(kind: .instant("max_over_time(rate(ioc_requests_total[5m])[30m:1m])")),
    .init(kind: .instant("quantile_over_time(0.9, ioc_requests_total[30m])")),
    .init(kind: .instant("label_replace(rate(ioc_requests_total[5m]), \"host\", \"$1\", \"instance\", \"host-(.*)\")")),
    .init(kind: .instant("rate(ioc_requests_total[5m]) / rate(ioc_requests_total[10m])")),
    .init(kind: .instant("absent(ioc_requests_total{service=\"none\"})")),
    .init(kind: .range("quantile_over_time(0.5, ioc_requests_total{province=\"p07\"}[10m])")),
    .init(kind: .range("sum by (service) (rate(ioc_requests_total[5m])) * 60")),
    .init(kind: .range("ioc_requests_total{province=\"p07\"} - ioc_requests_total{province=\"p07\"} offset 5m")),
]

/// One answer: its time, its size in series (counted as `"metric"` objects), its body.
private func ask(_ client: HTTPClient, _ base: String, _ kind: PeerQuery.Kind, at end: Int64, span: Int64 = 0) throws
    -> (milliseconds: Double, series: Int, body: String)
{
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    func encoded(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: allowed) ?? "" }
    let url: String
    switch kind {
    case .instant(let query): url = base + "/api/v1/query?query=\(encoded(query))&time=\(end)"
    case .range(let query):
        url = base + "/api/v1/query_range?query=\(encoded(query))&start=\(end - span)&end=\(end)&step=60"
    }
    var response: HTTPResponse?
    let elapsed = milliseconds {
        response = client.performWaiting(HTTPRequest(url: url, timeout: .seconds(120), maxBodyBytes: 256 << 20))
    }
    guard let response else { throw BenchmarkError(description: "\(url): no answer") }
    let body = String(decoding: response.body, as: UTF8.self)
    guard response.status == 200, body.contains("\"success\"") else {
        throw BenchmarkError(description: "\(url): HTTP \(response.status ?? 0) \(body.prefix(300))")
    }
    return (elapsed, body.components(separatedBy: "\"metric\"").count - 1, body)
}

/// Writes the counters as OpenMetrics (`data.om`) and Prometheus' text format (`data.prom`), series
/// by series, oldest first; returns the number of samples.
private func writePeerData(series: Int, from start: Int64, through end: Int64, in directory: String) throws -> Int {
    _ = FileManager.default.createFile(atPath: directory + "/data.om", contents: nil)
    _ = FileManager.default.createFile(atPath: directory + "/data.prom", contents: nil)
    guard let openMetrics = FileHandle(forWritingAtPath: directory + "/data.om"),
        let text = FileHandle(forWritingAtPath: directory + "/data.prom")
    else { throw BenchmarkError(description: "cannot write in \(directory)") }
    defer {
        try? openMetrics.close()
        try? text.close()
    }
    let services = ["dvc", "motcua", "lgsp", "egov", "mail"]
    var random = SplitMix64(seed: 20)
    var written = 0
    var om = "# TYPE ioc_requests counter\n"
    var prom = ""
    for index in 0..<series {
        let labels =
            "ioc_requests_total{instance=\"host-\(index)\",province=\"p\(index % 34 < 10 ? "0" : "")\(index % 34)\","
            + "service=\"\(services[index / 34 % 5])\"} "
        var value = Double(random.next() % 10_000)
        let pace = 1 + random.next() % 40
        for time in stride(from: start, through: end, by: 15) {
            // A restart now and then resets the counter.
            value = random.next() % 5_000 == 0 ? 0 : value + Double(random.next() % (2 * pace))
            let number = String(Int64(value))
            om += labels + number + " \(time)\n"
            prom += labels + number + " \(time)000\n"
            written += 1
        }
        if om.utf8.count > 8 << 20 || index == series - 1 {
            if index == series - 1 && CommandLine.arguments.contains("--compare") {
                written += otherShapes(from: start, through: end, om: &om, prom: &prom, random: &random)
            }
            if index == series - 1 { om += "# EOF\n" }
            try openMetrics.write(contentsOf: Data(om.utf8))
            try text.write(contentsOf: Data(prom.utf8))
            om = ""
            prom = ""
        }
    }
    return written
}

/// For `--compare`, series unlike the counters, each taking other paths through a store and an
/// engine: `ioc_gauge`, 200 gauges of fractional values either side of zero, each missing for ten
/// minutes in every seventy; `ioc_short`, 50 counters of twenty minutes each, starting one after
/// another; `ioc_latency_bucket`, a histogram's seven buckets for three services; `ioc_jitter`, 40
/// gauges sampled every 10 to 20 s at times with milliseconds.
private func otherShapes(
    from start: Int64, through end: Int64, om: inout String, prom: inout String,
    random: inout SplitMix64
) -> Int {
    var written = 0
    func add(_ labels: String, _ value: Double, _ milliseconds: Int64) {
        let number = "\(value)"
        let seconds = milliseconds % 1000 == 0 ? "\(milliseconds / 1000)" : "\(Double(milliseconds) / 1000)"
        om += labels + " " + number + " " + seconds + "\n"
        prom += labels + " " + number + " \(milliseconds)\n"
        written += 1
    }
    om += "# TYPE ioc_gauge gauge\n"
    for index in 0..<200 {
        for time in stride(from: start, through: end, by: 15) where (time / 600 + Int64(index)) % 7 != 0 {
            add(
                "ioc_gauge{instance=\"g-\(index)\",kind=\"k\(index % 4)\"}",
                Double(Int64(random.next() % 20_001) - 10_000) / 7, time * 1000)
        }
    }
    om += "# TYPE ioc_short counter\n"
    for index in 0..<50 {
        let first = start + Int64(index) * (end - start) / 50
        var value = 0.0
        for time in stride(from: first, through: min(end, first + 1200), by: 15) {
            value += Double(random.next() % 100)
            add("ioc_short_total{instance=\"s-\(index)\"}", value, time * 1000)
        }
    }
    om += "# TYPE ioc_latency histogram\n"
    let bounds = ["0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"]
    for service in ["dvc", "lgsp", "mail"] {
        var counts = [Double](repeating: 0, count: bounds.count)
        for time in stride(from: start, through: end, by: 15) {
            var below = 0.0
            for (index, bound) in bounds.enumerated() {
                below += Double(random.next() % 20)
                counts[index] = max(counts[index], below + counts[index] * 0.99 + 1).rounded()
                add("ioc_latency_bucket{le=\"\(bound)\",service=\"\(service)\"}", counts[index], time * 1000)
            }
        }
    }
    om += "# TYPE ioc_jitter gauge\n"
    for index in 0..<40 {
        var time = start * 1000 + Int64(random.next() % 15_000)
        while time <= end * 1000 {
            add("ioc_jitter{instance=\"j-\(index)\"}", Double(random.next() % 1_000_000) / 1000 - 300, time)
            time += 10_000 + Int64(random.next() % 10_000)
        }
    }
    return written
}

/// Sends the text file to VictoriaMetrics' import endpoint in pieces of whole lines.
private func importInto(_ client: HTTPClient, _ base: String, from path: String) throws {
    guard let handle = FileHandle(forReadingAtPath: path) else { throw BenchmarkError(description: "no \(path)") }
    defer { try? handle.close() }
    var pending: [UInt8] = []
    while true {
        let data = try handle.read(upToCount: 16 << 20) ?? Data()
        pending += data
        let cut = data.isEmpty ? pending.count : (pending.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0)
        if cut > 0 {
            let answer = client.performWaiting(
                HTTPRequest(
                    url: base + "/api/v1/import/prometheus", method: "POST", body: Array(pending[..<cut]),
                    timeout: .seconds(300)))
            guard let status = answer.status, (200..<300).contains(status) else {
                throw BenchmarkError(description: "VictoriaMetrics refused the import: \(answer.status ?? 0)")
            }
            pending.removeFirst(cut)
        }
        if data.isEmpty { return }
    }
}

func waitUntilAnswering(_ client: HTTPClient, _ url: String) throws {
    let deadline = ContinuousClock.now + .seconds(120)
    while ContinuousClock.now < deadline {
        if client.performWaiting(HTTPRequest(url: url, timeout: .seconds(5))).status == 200 { return }
        usleep(100_000)
    }
    throw BenchmarkError(description: "\(url) did not answer within 2 minutes")
}

/// Prometheus from Debian over the blocks in `work/prom`, with `configuration` as its file.
func launchPrometheus(in work: String, configuration: String, port: Int) throws -> Process {
    try configuration.write(toFile: work + "/prometheus.yml", atomically: true, encoding: .utf8)
    return try launch(
        "/usr/bin/prometheus",
        [
            "--config.file=\(work)/prometheus.yml", "--storage.tsdb.path=\(work)/prom",
            "--storage.tsdb.retention.time=10y", "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
        ], log: work + "/prometheus.log")
}

func launch(_ path: String, _ arguments: [String], log: String) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    process.standardOutput = FileHandle(forWritingAtPath: log)
    process.standardError = FileHandle(forWritingAtPath: log)
    try process.run()
    return process
}

func run(_ path: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw BenchmarkError(description: "\(path) \(arguments.joined(separator: " ")) failed")
    }
}

/// A loopback port that was free a moment ago.
func freeLoopbackPort() -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// `ioc-bench parse`: microseconds to parse each of the peer queries, the part of every request's
/// cost that does not depend on the data (best of five rounds of 2,000 parses).
func parse() throws {
    for query in peerQueries {
        let text = query.text
        var best = Double.infinity
        for _ in 0..<5 {
            best = min(best, try milliseconds { for _ in 0..<2000 { _ = try Query(parsing: text) } } / 2000 * 1000)
        }
        let label = query.name.count > 60 ? String(query.name.prefix(59)) + "…" : query.name
        print(label.padding(toLength: 62, withPad: " ", startingAt: 0) + String(format: "%8.2f µs", best))
    }
}

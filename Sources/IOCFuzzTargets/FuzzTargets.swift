import Foundation
import IOCAlert
import IOCCore
import IOCConfig
import IOCDaemon
import IOCDashboard
import IOCProbe
import IOCQuery
import IOCStore

/// The inputs IOC takes from outside, each as a function of arbitrary bytes: what `make fuzz`
/// drives with libFuzzer and what `make test` replays from `Tests/Fuzz/<target>/`. A target may
/// throw (bad input is an error) but must never trap, overflow the stack or hang.
public enum FuzzTargets {
    public static let names = [
        "exposition", "openmetrics", "json-feed", "promql-parse", "promql-eval", "template", "yaml-config",
        "api", "chunk", "log-record",
    ]

    /// Runs target `name` on `data`; false for an unknown name.
    @discardableResult
    public static func run(_ name: String, _ data: [UInt8]) -> Bool {
        let text = String(decoding: data, as: UTF8.self)
        switch name {
        case "exposition":
            _ = try? ExpositionParser(format: .prometheus, sampleLimit: 10_000).parse(data, defaultTimestamp: now)
        case "openmetrics":
            _ = try? ExpositionParser(format: .openMetrics, sampleLimit: 10_000, history: true)
                .parse(data, defaultTimestamp: now)
        case "json-feed": jsonFeed(data)
        case "promql-parse": _ = try? Query(parsing: text)
        case "promql-eval": evaluate(text)
        case "template": template(text)
        case "yaml-config": configuration(text)
        case "api": api(text)
        case "chunk": _ = try? ChunkCodec.decode(data)
        case "log-record": _ = data.withUnsafeBytes { try? LogRecord.samples(in: $0) }
        default: return false
        }
        return true
    }

    static let now: Int64 = 1_800_000_000_000

    /// Valid inputs of the binary formats, made by IOC's own encoders: where fuzzing starts for
    /// `chunk` and `log-record` (text targets start from the files under Tests/Fuzz).
    public static func seeds(for name: String) -> [[UInt8]] {
        let shapes: [[Sample]] = [
            (0..<120).map { Sample(timestamp: now + Int64($0) * 15_000, value: Double($0 % 7)) },
            (0..<50).map { Sample(timestamp: now + Int64($0) * 15_013, value: Double($0) * 0.125 + 1e-3) },
            [Sample(timestamp: now, value: .nan), Sample(timestamp: now + 1, value: Sample.staleNaN)],
        ]
        switch name {
        case "chunk": return shapes.map(ChunkCodec.encode)
        case "log-record":
            return shapes.map { samples in
                LogRecord.encode(
                    samples: samples.enumerated().map { (Int64($0.offset % 3 + 1), $0.element) }.sorted {
                        ($0.0, $0.1.timestamp) < ($1.0, $1.1.timestamp)
                    })
            }
        default: return []
        }
    }

    /// A small world for queries: a few series of a few samples, NaN and ±Inf among them.
    static let world: [Series] = ["Huế", "Hà Nội", "Cà Mau"].enumerated().flatMap { index, province in
        ["dvc", "portal"].map { service in
            Series(
                labels: Labels(["__name__": "up", "province": province, "service": service, "le": "\(index)"]),
                samples: (0..<20).map { step in
                    Sample(
                        timestamp: now - Int64(20 - step) * 15_000,
                        value: step == 7 ? .nan : step == 9 ? .infinity : Double(step * (index + 1)))
                })
        }
    }

    /// Read only once made; fuzzing runs one input at a time.
    nonisolated(unsafe) static let source: MemorySeriesSource = {
        let source = MemorySeriesSource()
        for series in world { source.add(series.labels, series.samples) }
        return source
    }()

    /// Queries run with tight limits, so that a fuzzer finds errors, not slow inputs.
    static let engine = Engine(maxSamples: 200_000, timeout: .milliseconds(500))

    static func evaluate(_ text: String) {
        guard let query = try? Query(parsing: text) else { return }
        _ = try? engine.instant(query, at: now, source: source)
        if query.expression.type == .vector || query.expression.type == .scalar {
            _ = try? engine.range(query, start: now - 300_000, end: now, step: 30_000, source: source)
        }
    }

    static func template(_ text: String) {
        notificationTemplate(text)
        guard let template = try? AlertTemplate(text) else { return }
        let data = TemplateData(
            labels: ["instance": "h:443", "province": "Huế", "v": "<a>\u{1B}"], value: -1e19,
            externalLabels: ["centre": "x"], externalURL: "http://x")
        _ = try? template.expand(data)
    }

    static let notificationTemplates = NotificationTemplates.shipped(language: .vi, timeZone: "Asia/Ho_Chi_Minh")
    static let notification = Notification(
        receiver: "r", groupKey: "{}", groupLabels: Labels([("alertname", "A")]),
        alerts: [
            NotifiableAlert(
                labels: Labels([("alertname", "A"), ("province", "Huế"), ("v", "<a>\u{1B}")]),
                annotations: Labels([("summary", "s")]), startsAt: 1_796_361_600_000),
            NotifiableAlert(
                labels: Labels([("alertname", "A")]), annotations: Labels(), startsAt: 0, endsAt: 1_000),
        ], time: 1_796_361_600_000)

    /// The text as a notification template, over Alertmanager's data, in a text and an HTML body.
    static func notificationTemplate(_ text: String) {
        guard let node = try? ConfigNode.parse(yaml: "x: 1", file: "/nonexistent/fuzz.yaml"),
            let template = try? notificationTemplates.text(text, at: node)
        else { return }
        let data = NotificationData(notification, externalURL: "http://x")
        _ = try? template.expand(data, maxBytes: 1 << 16)
        _ = try? template.expand(data, escape: { HTMLText.escaped($0) }, maxBytes: 1 << 16, truncating: true)
    }

    /// The same YAML read as each of IOC's file kinds.
    static func configuration(_ text: String) {
        guard let node = try? ConfigNode.parse(yaml: text, file: "/nonexistent/fuzz.yaml") else { return }
        _ = try? DaemonConfig(from: node, file: "/nonexistent/fuzz.yaml")
        _ = try? ProbeFile.targets(from: node)
        _ = try? RuleFile.groups(from: node, file: "/nonexistent/fuzz.yaml")
        _ = try? DashboardFile(from: node, file: "/nonexistent/fuzz.yaml")
    }

    static func jsonFeed(_ data: [UInt8]) {
        // The first line is the mapping's item path, the rest the document.
        let parts = data.split(separator: UInt8(ascii: "\n"), maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let itemPath = try? JSONPath(parsing: String(decoding: parts[0], as: UTF8.self)),
            let document = try? JSONSerialization.jsonObject(with: Data(parts[1]), options: [.fragmentsAllowed]),
            let label = try? JSONPath(parsing: "$.name"), let metric = try? JSONPath(parsing: "$.value")
        else { return }
        let mapping = JSONFeedMapping(items: itemPath, labels: [("name", label)], metrics: [("m", metric)])
        let samples = (try? mapping.samples(from: document, timestamp: now, sampleLimit: 10_000)) ?? []
        _ = SampleAdmission().filter(samples, now: now)
    }

    /// Where the API's store lives: one file per process, removed when it exits.
    static let offlinePath = NSTemporaryDirectory() + "/ioc-fuzz-\(getpid()).db"

    /// An API over a store of a few series, made once per process.
    static let offline: OfflineAPI? = {
        let path = offlinePath
        atexit {
            for suffix in ["", "-wal", "-shm"] { unlink(FuzzTargets.offlinePath + suffix) }
        }
        guard let writer = try? SampleWriter(path: path) else { return nil }
        for series in world {
            writer.append(series.samples.map { LabeledSample(labels: series.labels, sample: $0) })
        }
        writer.close()
        return OfflineAPI(storePath: path, engine: engine)
    }()

    /// `METHOD TARGET` on the first line, then the form body.
    static func api(_ text: String) {
        let lines = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        let words = lines[0].split(separator: " ", maxSplits: 1)
        guard words.count == 2 else { return }
        _ = offline?.answer(
            method: String(words[0]), target: String(words[1]),
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Host", "localhost")],
            body: lines.count > 1 ? String(lines[1]) : nil)
    }
}

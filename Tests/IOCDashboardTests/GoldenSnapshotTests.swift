import Foundation
import IOCCore
@testable import IOCDashboard
import IOCStore
import TestSupport
import Testing

/// Frames compared with files in Golden/: the shipped dashboards over a store with fixed data, at
/// 80×24 and 240×70, and every widget. `IOC_UPDATE_GOLDEN=1 swift test --filter GoldenSnapshotTests`
/// rewrites them; review the difference before committing.
@Suite(.serialized) struct GoldenSnapshotTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Golden"
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    /// 2026-11-29 10:00 UTC (17:00 in Huế).
    let now: Int64 = 1_795_946_400_000

    func compare(_ text: String, _ name: String) throws {
        let path = Self.golden + "/" + name + ".txt"
        if ProcessInfo.processInfo.environment["IOC_UPDATE_GOLDEN"] == "1" {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        // Compared scalar by scalar: NFC and NFD must each come out as written.
        #expect(Array(text.unicodeScalars) == Array(expected.unicodeScalars), "\(name): got\n\(text)")
    }

    /// An hour of results of three services in every province, a few of them down or slow; one
    /// province's name written decomposed (NFD), as some feeds send it; alerts, a silence.
    func store(_ directory: TemporaryDirectory) throws -> String {
        let path = directory.file("ioc.db")
        let clock = ManualClock(now - 3_600_000)
        let writer = try SampleWriter(path: path, clock: clock.function)
        var random = SplitMix64(seed: 11)
        for step in stride(from: now - 3_600_000, through: now, by: 60_000) {
            clock.set(step)
            var batch: [LabeledSample] = []
            for (index, province) in ProvinceCatalogue.current.enumerated() {
                let name = index == 1 ? province.name.decomposedStringWithCanonicalMapping : province.name
                for service in ["dvc", "lgsp", "motcua"] {
                    let labels = Labels([
                        ("job", "p\(index)"), ("instance", "https://\(service).p\(index).gov.vn/"), ("province", name),
                        ("service", service),
                    ])
                    func add(_ metric: String, _ value: Double, _ extra: [(String, String)] = []) {
                        batch.append(
                            LabeledSample(
                                labels: Labels(
                                    labels.pairs.map { ($0.name, $0.value) } + [("__name__", metric)] + extra),
                                sample: Sample(timestamp: step, value: value)))
                    }
                    let down = (index == 5 && service == "lgsp") || (index == 20 && step > now - 600_000)
                    add("probe_success", down ? 0 : 1)
                    let latency = Double(40 + Int(random.next() % 80) + (index == 7 ? 900 : 0)) / 1000
                    add("probe_duration_seconds", latency)
                    for (phase, share) in [("resolve", 0.05), ("connect", 0.15), ("tls", 0.3), ("processing", 0.5)] {
                        add("probe_http_duration_seconds", latency * share, [("phase", phase)])
                    }
                    if service == "dvc" {
                        add("probe_ssl_earliest_cert_expiry", Double(now / 1000) + Double(3 + index * 5) * 86_400)
                    }
                }
            }
            writer.append(batch)
            writer.flush()
        }
        let down = Labels([
            ("alertname", "ServiceDown"), ("province", "Đắk Lắk"), ("service", "lgsp"), ("severity", "critical"),
        ])
        writer.record(
            alerts: [
                "g/ServiceDown/0": [
                    Alert(
                        labels: down, annotations: Labels([("summary", "lgsp of Đắk Lắk is down")]),
                        state: .firing, activeAt: now - 3_000_000, firedAt: now - 2_880_000, resolvedAt: nil,
                        keepFiringSince: nil, value: 0)
                ],
                "g/ServiceSlow/0": [
                    Alert(
                        labels: Labels([
                            ("alertname", "ServiceSlow"), ("province", "Khánh Hòa"), ("service", "dvc"),
                            ("severity", "warning"),
                        ]),
                        annotations: Labels([("summary", "dvc answers in 1s\u{1b}]0;owned\u{07}")]), state: .pending,
                        activeAt: now - 120_000, firedAt: nil, resolvedAt: nil, keepFiringSince: nil, value: 1)
                ],
            ],
            history: [
                AlertHistoryEntry(
                    time: now - 3_000_000, kind: "pending", rule: "g/ServiceDown/0", labels: down,
                    annotations: Labels([("summary", "lgsp of Đắk Lắk is down")]), value: 0, activeAt: now - 3_000_000),
                AlertHistoryEntry(
                    time: now - 2_880_000, kind: "firing", rule: "g/ServiceDown/0", labels: down,
                    annotations: Labels([("summary", "lgsp of Đắk Lắk is down")]), value: 0, activeAt: now - 3_000_000),
            ])
        writer.close()
        try SilenceStore(path: path).add(
            Silence(
                id: "s1", matchers: [try LabelMatcher("province", .equal, "Đắk Lắk")], text: #"{province="Đắk Lắk"}"#,
                startsAt: now - 600_000, endsAt: now + 3_600_000, createdBy: "an", comment: "planned"))
        return path
    }

    @Test(arguments: [("overview", 80, 24), ("overview", 240, 70), ("province-hue", 80, 24), ("province-hue", 240, 70)])
    func theShippedDashboards(name: String, width: Int, height: Int) throws {
        let directory = try TemporaryDirectory()
        let path = try store(directory)
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.repository + "/dashboards")
            .filter { $0.hasSuffix(".yaml") }.sorted().map { Self.repository + "/dashboards/" + $0 }
        let dashboard = Dashboard(storePath: path, dashboards: try DashboardFile.loadAll(files), selected: name)
        let text = dashboard.snapshot(width: width, height: height, now: now).replacingOccurrences(
            of: path, with: "STORE")
        try compare(text, "\(name)-\(width)x\(height)")
        // Nothing from the store acts on the terminal, and every line has the width asked for.
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            #expect(TerminalText.width(of: String(line)) <= width)
        }
    }

    /// Every widget in one dashboard over the store, at both sizes.
    @Test(arguments: [(80, 24), (240, 70)])
    func aGalleryOfEveryWidget(width: Int, height: Int) throws {
        let directory = try TemporaryDirectory()
        let path = try store(directory)
        let gallery = try directory.write(
            "gallery.yaml",
            """
            name: gallery
            title: Mọi widget / every widget
            rows:
              - height: 2
                panels:
                  - {title: Grid, widget: status_grid, query: 'probe_success{province=~"Đ.*|Cao.*|Hà.*"}'}
                  - {title: Alerts, widget: alerts}
              - panels:
                  - {title: Stat, widget: stat, query: 'avg(probe_success) * 100', unit: '%'}
                  - {title: Gauge, widget: gauge, query: 'avg(probe_duration_seconds)', unit: s, min: 0, max: 1}
                  - {title: Spark, widget: sparkline, query: 'avg(probe_duration_seconds)', unit: s}
              - height: 2
                panels:
                  - {title: Chart, widget: line_chart, query: 'topk(3, avg by (province) (probe_duration_seconds))', unit: s, legend: '{{province}}'}
                  - {title: Bars, widget: bar_chart, query: 'avg by (phase) (probe_http_duration_seconds)', unit: s, legend: '{{phase}}'}
              - panels:
                  - {title: Table, widget: table, query: 'bottomk(5, avg by (province) (probe_success))', legend: '{{province}}', sort: asc}
                  - {title: Text, widget: text, text: 'Trung tâm giám sát, điều hành thông minh — Thừa Thiên Huế'}
                  - {title: Log, widget: log}
              - height: 2
                panels:
                  - title: Ranking with columns
                    widget: table
                    query: avg by (province) (probe_duration_seconds)
                    legend: '{{province}}'
                    value_title: Latency
                    unit: s
                    limit: 8
                    columns:
                      - {title: Up, query: 'avg by (province) (probe_success) * 100', unit: '%', thresholds: [{value: 0, color: red}, {value: 100, color: green}]}
                      - {title: Down, query: 'probe_success == 0', text: '{{service}}'}
                      - {title: Change, query: 'avg by (province) (probe_success) - 1', unit: change}
            """)
        let dashboard = Dashboard(storePath: path, dashboards: [try DashboardFile.load(gallery)])
        let text = dashboard.snapshot(width: width, height: height, now: now).replacingOccurrences(
            of: path, with: "STORE")
        try compare(text, "gallery-\(width)x\(height)")
    }

    @Test func everyWidget() throws {
        var panel = try DashboardFile(
            from: try ConfigNode.parse(
                yaml: "name: w\nrows:\n  - panels:\n      - widget: text\n        text: x\n", file: "w.yaml"),
            file: "w.yaml"
        ).rows[0].panels[0]
        let hue = Labels([("province", "Thừa Thiên Huế"), ("service", "dvc")])
        let hueNFD = Labels([("province", "Thừa Thiên Huế".decomposedStringWithCanonicalMapping), ("service", "lgsp")])
        let wide = Labels([("province", "東京 🏯"), ("service", "dvc")])
        let elements: [(labels: Labels, value: Double, time: Int64)] = [
            (hue, 1, now), (hueNFD, 0, now), (wide, 0.5, now - 600_000),
            (Labels([("province", "Bà Rịa – Vũng Tàu"), ("service", "dvc")]), 0.25, now),
        ]
        var sections: [String] = []
        func draw(_ title: String, _ body: (Rect, inout Canvas) -> Void) {
            var canvas = Canvas(width: 44, height: 8)
            let rect = Rect(x: 0, y: 0, width: 44, height: 8)
            Widgets.box(title, in: rect, on: &canvas)
            body(rect.inner, &canvas)
            sections.append(canvas.plainText)
        }
        panel.legend = "{{province}} {{service}}"
        panel.thresholds = [.init(value: 0, color: .red), .init(value: 1, color: .green)]
        draw("status_grid") { rect, canvas in
            Widgets.statusGrid(
                elements, panel: panel, now: now, silenced: { $0["service"] == "lgsp" }, selection: 1, in: rect,
                on: &canvas)
        }
        panel.unit = .percent
        draw("stat") { rect, canvas in Widgets.stat(97.25, panel: panel, in: rect, on: &canvas) }
        panel.unit = .seconds
        panel.maximum = 2
        draw("gauge") { rect, canvas in Widgets.gauge(0.75, panel: panel, in: rect, on: &canvas) }
        let series = Series(
            labels: hue,
            samples: (0..<60).map {
                Sample(timestamp: now - Int64(59 - $0) * 60_000, value: 0.1 + Double($0 % 12) / 20)
            })
        let second = Series(
            labels: hueNFD, samples: (0..<60).map { Sample(timestamp: now - Int64(59 - $0) * 60_000, value: 0.3) })
        draw("sparkline") { rect, canvas in Widgets.sparkline(series, panel: panel, in: rect, on: &canvas) }
        draw("line_chart") { rect, canvas in
            Widgets.lineChart(
                [series, second], from: now - 3_540_000, through: now, panel: panel, in: rect, on: &canvas)
        }
        draw("bar_chart") { rect, canvas in Widgets.barChart(elements, panel: panel, in: rect, on: &canvas) }
        panel.unit = .plain
        draw("table") { rect, canvas in Widgets.table(elements, panel: panel, selection: 0, in: rect, on: &canvas) }
        let alerts = [
            AlertRow(
                state: .firing, labels: hue.merging(Labels([("alertname", "ServiceDown"), ("severity", "critical")])),
                summary: "down\u{1b}[2J", activeAt: now - 5_400_000, silenced: false),
            AlertRow(
                state: .pending, labels: wide.merging(Labels([("alertname", "ServiceSlow")])), summary: "slow",
                activeAt: now - 30_000, silenced: true),
        ]
        draw("alerts") { rect, canvas in Widgets.alertList(alerts, now: now, selection: nil, in: rect, on: &canvas) }
        draw("text") { rect, canvas in
            Widgets.text("Trung tâm giám sát, điều hành thông minh tỉnh Thừa Thiên Huế — 東京", in: rect, on: &canvas)
        }
        try compare(sections.joined(separator: "\n\n"), "widgets")
    }
}

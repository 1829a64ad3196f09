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

    /// Words of the dashboard's own in English, none of which a Vietnamese screen may show.
    static let englishChrome = [
        "newest", "no data", "? help", "q quit", " more: ", "NAME", "VALUE", "no active alerts", "no changes yet",
        "loading", "PAUSED", "FIRE ", "PEND ", "MUTE ", "critical ·", " pending", " muted", "Available", "Alerts",
    ]

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
                batch += Self.scorecardAndExchanges(province: name, index: index, at: step)
            }
            batch += Self.nationalPlatforms(at: step, now: now)
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
                "g/ServiceDown/1": [
                    Alert(
                        labels: Labels([
                            ("alertname", "ServiceDown"), ("platform", "vneid"), ("scope", "national"),
                            ("service", "portal"), ("severity", "critical"),
                        ]),
                        annotations: Labels([("summary", "portal of vneid is down")]), state: .firing,
                        activeAt: now - 590_000, firedAt: now - 470_000, resolvedAt: nil, keepFiringSince: nil, value: 0
                    )
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

    static let shipped =
        (try? FileManager.default.contentsOfDirectory(atPath: repository + "/dashboards"))?
        .filter { $0.hasSuffix(".yaml") }.sorted().map { repository + "/dashboards/" + $0 } ?? []

    /// The store is made once for all the shipped dashboards' snapshots.
    static let shared: (directory: TemporaryDirectory, path: String)? = {
        guard let directory = try? TemporaryDirectory() else { return nil }
        // A static is never freed: the directory goes when the tests end.
        directory.removeAtExit()
        guard let path = try? GoldenSnapshotTests().store(directory) else { return nil }
        return (directory, path)
    }()

    /// Every shipped dashboard at the three sizes an operations room has: a laptop's terminal, a
    /// desk monitor's, the wall's. Each panel is shown with at least the room its widget needs, or
    /// named on the line of those that did not fit; none is shown empty; none is dropped unsaid.
    @Test(
        arguments: ["overview", "province", "scorecard-766", "data-sharing", "certificates"],
        [
            (80, 24), (120, 40), (200, 60),
        ])
    func theShippedDashboards(name: String, size: (width: Int, height: Int)) async throws {
        try await onTestWorkThread {
            for language in Language.allCases {
                try shippedDashboard(name: name, size: size, language: language)
            }
        }
    }

    /// One shipped dashboard in one language: Vietnamese in `NAME-WxH.txt`, English in `NAME-WxH.en.txt`.
    func shippedDashboard(name: String, size: (width: Int, height: Int), language: Language) throws {
        let (width, height) = size
        let path = try #require(Self.shared).path
        let files = try DashboardFile.loadAll(Self.shipped)
        var dashboard = Dashboard(storePath: path, dashboards: files, selected: name)
        dashboard.language = language
        let text = dashboard.snapshot(width: width, height: height, now: now).replacingOccurrences(
            of: path, with: "STORE")
        try compare(text, "\(name)-\(width)x\(height)" + (language == .en ? ".en" : ""))
        if language == .vi {
            // No word of the screen's own in English: what is left is data (names, summaries).
            for english in Self.englishChrome {
                #expect(!text.contains(english), "\(name) \(width)x\(height) in Vietnamese shows '\(english)'")
            }
        }
        // Nothing from the store acts on the terminal, and every line has the width asked for.
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            #expect(TerminalText.width(of: String(line)) <= width)
        }

        var screen = DashboardScreen(
            dashboard: try #require(files.first { $0.name == name }), source: "STORE", language: language)
        let backend = LocalBackend(reader: try StoreReader(path: path))
        screen.loadVariables(from: backend, now: now)
        var canvas = Canvas(width: width, height: height, language: language)
        screen.draw(screen.load(from: backend, now: now), freshness: Freshness(newest: now), now: now, into: &canvas)
        let layout = screen.layout(width: width, height: height, top: 1)
        let all = screen.dashboard.rows.enumerated().flatMap { row, item in item.panels.indices.map { [row, $0] } }
        let accounted = layout.placed.map { [$0.row, $0.panel] } + layout.collapsed.map { [$0.row, $0.panel] }
        #expect(accounted.sorted { $0.lexicographicallyPrecedes($1) } == all, "every panel shown or named")
        for placement in layout.placed {
            let panel = screen.dashboard.rows[placement.row].panels[placement.panel]
            let inner = placement.rect.inner
            #expect(
                inner.width >= panel.widget.minimumInner.width && inner.height >= panel.widget.minimumInner.height,
                "\(panel.title) at \(width)x\(height): \(inner)")
            let cells = (inner.y..<(inner.y + inner.height)).flatMap { y in
                (inner.x..<(inner.x + inner.width)).map { canvas.cells[y * width + $0].text }
            }
            #expect(cells.contains { !$0.trimmingCharacters(in: .whitespaces).isEmpty }, "\(panel.title) is empty")
            #expect(!cells.joined().contains("no data"), "\(panel.title) has no data in the fixture")
        }
    }

    /// The Decision 766 series and the data-sharing connections of a province, as the rules record them.
    static func scorecardAndExchanges(province: String, index: Int, at step: Int64) -> [LabeledSample] {
        var samples: [LabeledSample] = []
        func add(_ metric: String, _ value: Double, _ labels: [(String, String)]) {
            samples.append(
                LabeledSample(
                    labels: Labels([("__name__", metric), ("province", province)] + labels),
                    sample: Sample(timestamp: step, value: value)))
        }
        let total = 95 - Double(index * 37 % 50)
        add("ioc766:total_points", total, [("period", "current")])
        let groups = ["publicity": 18.0, "progress": 20, "digitisation": 22, "online_services": 22, "satisfaction": 18]
        for (group, points) in groups.sorted(by: { $0.key < $1.key }) {
            add(
                "ioc766:group_points", (points * total / 100 * 100).rounded() / 100,
                [("period", "current"), ("group", group)])
        }
        let band =
            total >= 90 ? "Xuất sắc" : total >= 80 ? "Tốt" : total >= 65 ? "Khá" : total >= 50 ? "Trung bình" : "Yếu"
        add("ioc766:band", total, [("period", "current"), ("band_vi", band)])
        add("ioc766:total_points_change", Double(index % 7) - 3, [])
        for (number, indicator) in ["1.1 Công khai", "2.1 Đúng hạn", "3.1 Số hóa", "4.1 Trực tuyến"].enumerated() {
            add(
                "ioc766:indicator_ratio", 100 - Double((index + number * 11) % 40),
                [("period", "current"), ("indicator", indicator)])
        }
        for (peer, offset) in [("Nền tảng NDXP", 0), ("CSDL Dân cư", 1)] {
            let stalled = index == 9 && offset == 0
            add(
                "exchange:last_success_age_seconds", stalled ? 7_200 : Double(30 + index + offset * 10),
                [("peer", peer)])
            add("exchange:records_vs_expected:ratio1h", index == 12 && offset == 1 ? 0.2 : 0.97, [("peer", peer)])
            add("exchange:credential_days_left", Double(5 + (index * 13 + offset * 7) % 300), [("peer", peer)])
        }
        return samples
    }

    /// The national platforms, which have no province; VNeID down for the last ten minutes.
    static func nationalPlatforms(at step: Int64, now: Int64) -> [LabeledSample] {
        [
            ("dvc-quoc-gia", "https://dichvucong.gov.vn/"), ("vneid", "https://vneid.gov.vn/"),
            ("chinhphu", "https://chinhphu.vn/"),
        ].flatMap { platform, url in
            let labels = [
                ("job", "national"), ("instance", url), ("scope", "national"), ("platform", platform),
                ("service", "portal"),
            ]
            let down = platform == "vneid" && step > now - 600_000
            return [("probe_success", down ? 0.0 : 1.0), ("probe_duration_seconds", 0.35)].map { metric, value in
                LabeledSample(
                    labels: Labels(labels + [("__name__", metric)]), sample: Sample(timestamp: step, value: value))
            }
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

import Foundation
import IOCAlert
import IOCCore
import IOCDaemon
import IOCQuery
import IOCSimulator
import IOCStore
import Testing
import TestSupport
import IOCCalendar
import IOCReport

/// `ioc report` over a store built from the simulator with a fixed seed: the shipped scorecard
/// rules evaluated on the simulated dossier statistics, and the simulated health endpoints' answers
/// as probe results, once a day from 20 August to the end of September 2026.
@Suite struct ReportTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Fixtures"
    static let seed: UInt64 = 7

    /// Builds the store: each step writes the feed's series, what the rules record from them, the
    /// probe results and the service-hours series, as iocd would.
    static func buildStore(_ path: String) throws {
        let start = CalendarPeriod(year: 2026, kind: .month(8)).start + 19 * 86_400_000
        let end = CalendarPeriod(year: 2026, kind: .quarter(3)).end
        let clock = ManualClock(start)
        let writer = try SampleWriter(path: path, clock: clock.function)
        let groups = try RuleFile.load(repository + "/rules/scorecard-766.yaml")
        let evaluators = groups.map { GroupEvaluator(group: $0) }
        let hours = try ServiceHours(
            from: ConfigNode.parse(
                yaml: """
                    time_zone: Asia/Ho_Chi_Minh
                    hours:
                      - weekdays: [monday, tuesday, wednesday, thursday, friday]
                        times: [{start: '07:30', end: '11:30'}, {start: '13:00', end: '17:00'}]
                    holidays: ['2026-09-01', '2026-09-02']
                    """, file: "test"))
        let scorecard = SimulatedScorecard(seed: seed, provinces: ProvinceCatalogue.current)
        // A step a day, at 10:00 and 22:00 in Viet Nam on alternate days: in and out of working hours.
        for (day, midnight) in stride(from: start, to: end, by: 86_400_000).enumerated() {
            let step = midnight + (day % 2 == 0 ? 3 : 15) * 3_600_000
            clock.set(step)
            var batch: [LabeledSample] = []
            let inputs = MemorySeriesSource()
            for province in ProvinceCatalogue.current {
                for previous in [false, true] {
                    let labels: [(String, String)] = [
                        ("job", "feeds"), ("instance", "http://127.0.0.1/feeds/scorecard.json"),
                        ("province", province.name), ("province_code", province.code),
                        ("period", previous ? "previous" : "current"),
                    ]
                    for (field, value) in scorecard.counts(province, previous: previous, at: step) {
                        let series = Labels(labels + [(Labels.metricName, "dvc_\(field)")])
                        let sample = Sample(timestamp: step, value: Double(value))
                        batch.append(LabeledSample(labels: series, sample: sample))
                        inputs.add(series, [sample])
                    }
                }
            }
            for evaluator in evaluators {
                batch += evaluator.evaluate(at: step, source: inputs).samples
            }
            let world = SimulatedWorld(scenario: .national(seed: seed), seed: seed, clock: { step })
            for province in world.provinces {
                for service in world.services {
                    let response = world.respond(to: "/\(province.slug)/\(service.id)/health")
                    let labels = Labels([
                        (Labels.metricName, "probe_success"), ("job", province.slug),
                        ("instance", "http://127.0.0.1/\(province.slug)/\(service.id)/health"),
                        ("province", province.name), ("province_code", province.code), ("service", service.id),
                    ])
                    batch.append(
                        LabeledSample(
                            labels: labels, sample: Sample(timestamp: step, value: response.status == 200 ? 1 : 0)))
                }
            }
            batch.append(
                LabeledSample(
                    labels: Labels([(Labels.metricName, "ioc_service_hours")]),
                    sample: Sample(timestamp: step, value: hours.isOpen(at: step) ? 1 : 0)))
            for chunk in stride(from: 0, to: batch.count, by: 50_000) {
                guard writer.append(Array(batch[chunk..<min(batch.count, chunk + 50_000)])) > 0 else {
                    throw StoreError(path: path, "the writer took no samples")
                }
                writer.flush()
            }
        }
        writer.close()
    }

    static func onThread(_ body: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                do {
                    try body()
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "report-test-store"
            thread.start()
        }
    }

    static func report(_ db: String, _ arguments: [String]) async throws -> String {
        let result = try await TestProcess.run(try BuiltProduct.path("ioc"), ["report", "--db", db] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    static func compare(_ text: String, golden name: String) throws {
        let path = fixtures + "/" + name
        if ProcessInfo.processInfo.environment["IOC_UPDATE_GOLDEN"] == "1" {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == expected, "\(name) differs; got:\n\(text)")
    }

    /// Two stores built apart give the same reports, equal to the golden files; the ranking follows
    /// the totals and has every province.
    @Test func theReportOfASeededSimulationIsTheSameEveryTimeAndRanksEveryProvince() async throws {
        let directory = try TemporaryDirectory()
        let first = directory.file("first.db")
        let second = directory.file("second.db")
        // On a thread of their own: a minute of blocking work must not hold Swift's cooperative
        // threads, which the other tests running meanwhile need.
        try await Self.onThread {
            try Self.buildStore(first)
            try Self.buildStore(second)
        }
        for (arguments, golden) in [
            (["--period", "2026-09", "--lang", "vi"], "report-2026-09.md"),
            (["--period", "2026-09", "--lang", "en"], "report-2026-09.en.md"),
            (["--period", "2026-Q3", "--format", "csv", "--lang", "vi"], "report-2026-Q3.csv"),
            (["--period", "2026-09", "--format", "html", "--lang", "vi"], "report-2026-09.html"),
        ] {
            let a = try await Self.report(first, arguments)
            let b = try await Self.report(second, arguments)
            let again = try await Self.report(first, arguments)
            #expect(a == b && a == again)
            try Self.compare(a, golden: golden)
        }
        try await Self.checkSpreadsheet(first, in: directory)
        try await Self.checkPrintablePage(first, in: directory)
    }

    /// The CSV as a spreadsheet reads it: the byte order mark first, then rows that Python's csv
    /// reader (a standard one) gives back with every Vietnamese name intact.
    static func checkSpreadsheet(_ store: String, in directory: TemporaryDirectory) async throws {
        let file = directory.file("report.csv")
        _ = try await report(store, ["--period", "2026-09", "--format", "csv", "--lang", "vi", "--output", file])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF], "the byte order mark")
        let read = try await TestProcess.run(
            "/usr/bin/python3",
            [
                "-c",
                "import csv, json, sys; print(json.dumps(list(csv.reader(open(sys.argv[1], encoding='utf-8-sig', newline='')))))",
                file,
            ])
        let rows = try #require(
            try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [[String]], "\(read)")
        let header = rows.first ?? []
        #expect(
            header == [
                "Hạng", "Đơn vị", "Mã", "Tổng điểm", "Công khai, minh bạch (18)", "Tiến độ, kết quả giải quyết (20)",
                "Số hóa hồ sơ (22)", "Cung cấp dịch vụ trực tuyến (22)", "Mức độ hài lòng (18)", "Xếp loại", "Thay đổi",
                "Sẵn sàng 24×7 (%)", "Sẵn sàng trong giờ phục vụ (%)", "Số lần kiểm tra",
            ], "\(header)")
        let body = rows.dropFirst()
        #expect(body.count == 34)
        #expect(Set(body.map { $0[1] }) == Set(ProvinceCatalogue.current.map(\.name)), "names with diacritics intact")
        #expect(Set(body.map { $0[2] }) == Set(ProvinceCatalogue.current.map(\.code)))
        let totals = body.compactMap { Double($0[3]) }
        #expect(totals.count == 34 && totals == totals.sorted(by: >))
        #expect(body.first?[0] == "1")
        for row in body {
            // Groups add up to the total (every group has data in the simulation), to rounding.
            let groups = row[4...8].compactMap { Double($0) }
            #expect(groups.count == 5)
            #expect(abs(groups.reduce(0, +) - (Double(row[3]) ?? 0)) < 0.03, "\(row)")
            #expect(["Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"].contains(row[9]), "\(row)")
            // August is in the store, so September has a change; availability and service hours are there.
            #expect(Double(row[10]) != nil && Double(row[11]) != nil && Double(row[12]) != nil, "\(row)")
        }
        // Some provinces improve and some slip; the one endpoint that always fails shows below 100 %.
        let changes = body.compactMap { Double($0[10]) }
        #expect(changes.contains { $0 > 0 } && changes.contains { $0 < 0 })
        #expect(body.contains { (Double($0[11]) ?? 100) < 100 })
    }

    /// The HTML page is well-formed (an XML parser reads it), says its language, fits its columns
    /// in the printable width of A4, and carries the names as they are written.
    static func checkPrintablePage(_ store: String, in directory: TemporaryDirectory) async throws {
        let file = directory.file("report.html")
        _ = try await report(store, ["--period", "2026-09", "--format", "html", "--lang", "vi", "--output", file])
        let script = """
            import sys, json, re, xml.etree.ElementTree as ET
            text = open(sys.argv[1], encoding='utf-8').read()
            root = ET.fromstring(text.replace('<!DOCTYPE html>', '', 1))
            tables = [[float(re.search(r'([0-9.]+)mm', c.get('style')).group(1)) for c in t.iter('col')] for t in root.iter('table')]
            rows = [[''.join(td.itertext()) for td in tr.iter('td')] for tr in root.iter('tr')]
            style = ''.join(root.find('head').find('style').itertext())
            print(json.dumps({'lang': root.get('lang'), 'widths': [sum(w) for w in tables], 'rows': rows, 'a4': 'size: A4' in style}))
            """
        let read = try await TestProcess.run("/usr/bin/python3", ["-c", script, file])
        let page = try #require(
            try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: Any], "\(read)")
        #expect(page["lang"] as? String == "vi" && page["a4"] as? Bool == true)
        let widths = page["widths"] as? [Double] ?? []
        #expect(widths.count == 2 && widths.allSatisfy { $0 <= 186 }, "A4 less 12 mm margins: \(widths)")
        let cells = (page["rows"] as? [[String]] ?? []).flatMap { $0 }
        #expect(cells.contains("Phú Thọ") && (cells.contains("Xuất sắc") || cells.contains("Tốt")))
        #expect(cells.filter { $0 == "Phú Thọ" }.count == 2, "in the ranking and in the availability table")
    }

    /// What the demo's ranking dashboard shows: this month's totals of the 34 provinces from the
    /// shipped rules over the simulated feed, which reorder within minutes, with some provinces up
    /// on last month and some down.
    @Test func theSimulatedLeagueTableMovesWithinMinutes() async throws {
        let evaluator = GroupEvaluator(
            group: try #require(RuleFile.load(Self.repository + "/rules/scorecard-766.yaml").first))
        let scorecard = SimulatedScorecard(seed: 1, provinces: ProvinceCatalogue.current)
        let start = CalendarPeriod(year: 2026, kind: .month(11)).start + 14 * 86_400_000 + 3 * 3_600_000
        // Each evaluation is short (well under a second), and yields between them.
        func table(at time: Int64) async -> (ranking: [String], changes: [Double]) {
            let inputs = MemorySeriesSource()
            for province in ProvinceCatalogue.current {
                for previous in [false, true] {
                    for (field, value) in scorecard.counts(province, previous: previous, at: time) {
                        inputs.add(
                            Labels([
                                (Labels.metricName, "dvc_\(field)"), ("province", province.name),
                                ("period", previous ? "previous" : "current"),
                            ]), [Sample(timestamp: time, value: Double(value))])
                    }
                }
            }
            let samples = evaluator.evaluate(at: time, source: inputs).samples
            let totals = samples.filter {
                $0.labels.metric == "ioc766:total_points" && $0.labels["period"] == "current"
            }
            #expect(totals.count == 34)
            #expect(totals.allSatisfy { (0...100).contains($0.sample.value) })
            let ranking = totals.sorted { $0.sample.value > $1.sample.value }.compactMap { $0.labels["province"] }
            let changes = samples.filter { $0.labels.metric == "ioc766:total_points_change" }.map(\.sample.value)
            return (ranking, changes)
        }
        let first = await table(at: start)
        #expect(first.changes.count == 34)
        #expect(first.changes.contains { $0 > 0 } && first.changes.contains { $0 < 0 })
        // Within three minutes (the demo evaluates every minute), some places have changed.
        var later: [[String]] = []
        for minute in 1...3 { later.append(await table(at: start + Int64(minute) * 60_000).ranking) }
        #expect(later.contains { $0 != first.ranking })
    }

    @Test func badPeriodsAndAnEmptyStoreAreReportedClearly() async throws {
        let directory = try TemporaryDirectory()
        let ioc = try BuiltProduct.path("ioc")
        for bad in ["2026-13", "2026-Q5", "26-11", "2026-11-01", "last month"] {
            let result = try await TestProcess.run(ioc, ["report", "--db", directory.file("x.db"), "--period", bad])
            #expect(result.status != 0)
            #expect(result.stderr.contains("is not a period"), "\(result.stderr)")
        }
        let writer = try SampleWriter(path: directory.file("empty.db"))
        await writer.close()
        let text = try await Self.report(directory.file("empty.db"), ["--period", "2026-Q3", "--lang", "en"])
        #expect(text.contains("No scorecard in the store for this period"))
        #expect(text.contains("No probe results in the store for this period"))
        // In Vietnamese when IOC_LANG says so, whatever the locale.
        let vietnamese = try await TestProcess.run(
            ioc, ["report", "--db", directory.file("empty.db"), "--period", "2026-Q3"],
            environment: ["IOC_LANG": "vi", "LANG": "en_US.UTF-8"])
        #expect(vietnamese.stdout.contains("Kho dữ liệu không có bảng điểm cho kỳ này"), "\(vietnamese)")
        #expect(!vietnamese.stdout.contains("No probe results"))
        let refused = try await TestProcess.run(
            ioc, ["report", "--db", directory.file("empty.db"), "--period", "2026-Q3", "--lang", "fr"])
        #expect(refused.status == 64 && refused.stderr.contains("use vi or en"))
    }

    /// Every message of the report says something in both languages, and not the same thing
    /// (an untranslated copy); the languages resolve from IOC_LANG, then the locale, then iocd.yaml.
    @Test func theReportsMessagesHaveBothLanguagesAndTheLanguageResolves() {
        for message in ReportText.all {
            #expect(!message.vi.isEmpty && !message.en.isEmpty && message.vi != message.en, "\(message)")
        }
        #expect(Language.resolve(environment: [:], configured: nil) == .vi)
        #expect(Language.resolve(environment: ["LANG": "en_US.UTF-8"], configured: .vi) == .en)
        #expect(Language.resolve(environment: ["LANG": "C.UTF-8"], configured: .en) == .en)
        #expect(Language.resolve(environment: ["IOC_LANG": "vi", "LC_ALL": "en_GB.UTF-8"], configured: .en) == .vi)
        #expect(
            Language.resolve(environment: ["LC_ALL": "vi_VN.UTF-8", "LANG": "en_US.UTF-8"], configured: nil) == .vi)
    }
}

import Foundation
import IOCCore
import IOCStore
import TestSupport
import Testing

/// `ioc alerts` for a centre with many alerts: the critical ones first, silenced ones said so,
/// and matchers, --state and --severity to narrow the list.
@Suite struct AlertsCommandTests {
    func store() async throws -> (TemporaryDirectory, String) {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let writer = try SampleWriter(path: path)
        let now = WallClock.nowMilliseconds()
        func alert(_ name: String, _ severity: String, _ province: String, _ state: AlertState, _ age: Int64) -> Alert {
            Alert(
                labels: Labels([("alertname", name), ("severity", severity), ("province", province)]),
                annotations: Labels([("summary", "\(name) in \(province)")]), state: state, activeAt: now - age,
                firedAt: state == .firing ? now - age : nil, value: 1)
        }
        writer.record(
            alerts: [
                "r/Slow/0": (0..<5).map { alert("ServiceSlow", "warning", "P\($0)", .firing, 3_600_000) },
                "r/Down/0": [
                    alert("ServiceDown", "critical", "Huế", .firing, 60_000),
                    alert("ServiceDown", "critical", "Hà Nội", .firing, 120_000),
                ],
                "r/Soon/0": [alert("CertificateSoon", "critical", "Huế", .pending, 10_000)],
            ], history: [])
        await writer.close()
        try SilenceStore(path: path).add(
            Silence(
                id: "s", matchers: [try LabelMatcher("province", .equal, "Hà Nội")], startsAt: now - 1000,
                endsAt: now + 3_600_000, createdBy: "an", comment: "maintenance"))
        return (directory, path)
    }

    func lines(_ arguments: [String], _ path: String) async throws -> [String] {
        let result = try await TestProcess.run(try BuiltProduct.path("ioc"), ["alerts", "--db", path] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    @Test func criticalFirstSilencedSaidSoPendingLast() async throws {
        let (directory, path) = try await store()
        _ = directory
        let listed = try await lines([], path)
        #expect(listed.count == 9, "\(listed)")
        #expect(listed[1].hasPrefix("firing") && listed[1].contains("ServiceDown") && listed[1].contains("Huế"))
        #expect(listed[2].hasPrefix("firing") && listed[2].contains("ServiceSlow"))
        #expect(listed[7].hasPrefix("silenced") && listed[7].contains("Hà Nội"), "\(listed)")
        #expect(listed[8].hasPrefix("pending") && listed[8].contains("CertificateSoon"))
    }

    @Test func matchersStateAndSeverityNarrowTheList() async throws {
        let (directory, path) = try await store()
        _ = directory
        let hue = try await lines(["province=Huế"], path)
        #expect(hue.count == 3 && hue.dropFirst().allSatisfy { $0.contains("Huế") }, "\(hue)")
        let critical = try await lines(["--severity", "critical", "--state", "firing,silenced"], path)
        #expect(critical.count == 3, "\(critical)")
        let none = try await lines(["province=Cần Thơ"], path)
        #expect(none == ["no active alerts match"])
        let bad = try await TestProcess.run(try BuiltProduct.path("ioc"), ["alerts", "--db", path, "--state", "on"])
        #expect(bad.status != 0 && bad.stderr.contains("expected firing, silenced, inhibited"), "\(bad.stderr)")
    }

    /// An alert that the configuration's inhibit rules hold back (a critical alert of the same
    /// place is firing) is listed as inhibited, as the notifier treats it, not as firing.
    @Test func inhibitedAlertsAreSaidSo() async throws {
        let (directory, path) = try await store()
        let config = try directory.write(
            "iocd.yaml",
            """
            storage: {path: \(path)}
            notifications:
              route: {receiver: log}
              receivers: [{name: log, syslog: {facility: local0}}]
              inhibit_rules:
                - source_matchers: ['alertname="ServiceDown"', 'severity="critical"']
                  target_matchers: ['severity="warning"', 'province=~"P0|P1"']
            """)
        let result = try await TestProcess.run(try BuiltProduct.path("ioc"), ["alerts", "--config", config])
        #expect(result.status == 0, "\(result.stderr)")
        let listed = result.stdout.split(separator: "\n").map(String.init)
        #expect(listed.filter { $0.hasPrefix("inhibited") }.count == 2, "\(listed)")
        #expect(listed.contains { $0.hasPrefix("inhibited") && $0.contains("province=P0") }, "\(listed)")
        #expect(listed.contains { $0.hasPrefix("firing") && $0.contains("province=P2") }, "\(listed)")
        let inhibited = try await TestProcess.run(
            try BuiltProduct.path("ioc"), ["alerts", "--config", config, "--state", "inhibited", "--json"])
        #expect(inhibited.stdout.split(separator: "\n").count == 2, "\(inhibited.stdout)")
        #expect(inhibited.stdout.contains(#""muted":"inhibited""#), "\(inhibited.stdout)")
    }

    /// `ioc alerts` in Vietnamese and in English, against golden files: headings, states, ages and
    /// each alert's summary in the language asked (`summary`, or `summary_en` in English).
    @Test func theListInVietnameseAndEnglish() async throws {
        for (language, file) in [("vi", "alerts.vi.txt"), ("en", "alerts.en.txt")] {
            // Ages 20 s past a whole minute show the same minutes for 40 s; a loaded machine can take
            // longer to write the store and run `ioc`, so a run that ends past that is made again
            // (with fresh ages) rather than compared.
            var output: String?
            for _ in 0..<3 where output == nil {
                let (directory, now) = try await Self.storeWithThreeAlerts()
                let result = try await TestProcess.run(
                    try BuiltProduct.path("ioc"), ["alerts", "--db", directory.file("ioc.db")],
                    environment: ["IOC_LANG": language])
                #expect(result.status == 0, "\(result.stderr)")
                if WallClock.nowMilliseconds() - now < 60_000 { output = result.stdout }
            }
            try Golden.compare(
                try #require(output, "three runs of ioc alerts each took over 40 s"),
                RulesCommandTests.fixtures + "/" + file)
        }
    }

    /// A directory whose `ioc.db` holds one alert firing for 75 minutes, one silenced and one
    /// pending, and the time their ages are counted from (20 s before the store was written).
    static func storeWithThreeAlerts() async throws -> (directory: TemporaryDirectory, now: Int64) {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let writer = try SampleWriter(path: path)
        let now = WallClock.nowMilliseconds() - 20_000
        func alert(_ name: String, _ province: String, _ state: AlertState, minutes: Int64) -> Alert {
            Alert(
                labels: Labels([("alertname", name), ("severity", "critical"), ("province", province)]),
                annotations: Labels([
                    ("summary", "Cổng dịch vụ công của \(province) ngừng hoạt động"),
                    ("summary_en", "The public service portal of \(province) is down"),
                ]), state: state, activeAt: now - minutes * 60_000,
                firedAt: state == .firing ? now - minutes * 60_000 : nil, value: 0)
        }
        writer.record(
            alerts: [
                "r/Down/0": [
                    alert("ServiceDown", "Huế", .firing, minutes: 75),
                    alert("ServiceDown", "Hà Nội", .firing, minutes: 3),
                    alert("ServiceDown", "Cần Thơ", .pending, minutes: 1),
                ]
            ], history: [])
        await writer.close()
        try SilenceStore(path: path).add(
            Silence(
                id: "s", matchers: [try LabelMatcher("province", .equal, "Hà Nội")], startsAt: now - 1000,
                endsAt: now + 3_600_000, createdBy: "an", comment: "bảo trì"))
        return (directory, now)
    }

    /// `ioc --help` in the operator's language: every command's overview and discussion and every
    /// argument's help, read from the parser's own description in both languages, is there in each and
    /// differs between them. Only the parser's own words (`--help`, `--version`) stay in English.
    @Test func everyHelpTextIsInBothLanguages() async throws {
        var texts: [Language: [String: String]] = [:]
        for language in Language.allCases {
            let result = try await TestProcess.run(
                try BuiltProduct.path("ioc"), ["--experimental-dump-help"],
                environment: ["IOC_LANG": language.rawValue])
            #expect(result.status == 0, "\(result.stderr)")
            let root = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            texts[language] = Self.helpTexts(try #require(root["command"] as? [String: Any]), path: "ioc")
        }
        let vietnamese = try #require(texts[.vi]), english = try #require(texts[.en])
        #expect(vietnamese.count > 120, "the walk found every help text: \(vietnamese.count)")
        #expect(Set(vietnamese.keys) == Set(english.keys))
        for (place, text) in english.sorted(by: { $0.key < $1.key }) {
            let translated = vietnamese[place] ?? ""
            #expect(!text.isEmpty && !translated.isEmpty, "\(place) has no help")
            #expect(translated != text, "\(place) is not translated: \(text)")
        }
    }

    /// Every overview, discussion and argument help under `command`, by where it is.
    static func helpTexts(_ command: [String: Any], path: String) -> [String: String] {
        var texts: [String: String] = [:]
        for key in ["abstract", "discussion"] { texts[path + " " + key] = command[key] as? String }
        for argument in command["arguments"] as? [[String: Any]] ?? [] {
            let names = (argument["names"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            let name = names.last ?? (argument["valueName"] as? String ?? "?")
            // The parser's own flags say themselves in its words.
            guard !["help", "version"].contains(name) else { continue }
            texts[path + " --" + name] = argument["abstract"] as? String ?? ""
        }
        for subcommand in command["subcommands"] as? [[String: Any]] ?? [] {
            guard let name = subcommand["commandName"] as? String, name != "help" else { continue }
            texts.merge(helpTexts(subcommand, path: path + " " + name)) { first, _ in first }
        }
        return texts
    }

    /// A `--source` server's error text reaches the operator's terminal with its control characters
    /// written out, not as escape sequences that would act on the terminal.
    @Test func aSourcesErrorTextCannotActOnTheTerminal() async throws {
        let hostile = #"{"status":"error","errorType":"bad_data","error":"bad \u001b[2J\u001b]0;owned\u0007 query"}"#
        let server = try WebhookSink(port: 0, answering: hostile)
        defer { server.stop() }
        let result = try await TestProcess.run(
            try BuiltProduct.path("ioc"), ["query", "up", "--source", "http://127.0.0.1:\(server.port)"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("bad") && result.stderr.contains("query"), "\(result.stderr)")
        #expect(!result.stderr.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "\(result.stderr)")
    }

    /// What `ioc` says of arguments that will not do, and of what it did, is in the operator's
    /// language too; the flags and formats it names stay as they are.
    @Test func argumentErrorsAndCountsInTheOperatorsLanguage() async throws {
        let directory = try TemporaryDirectory()
        let input = try directory.write("in.om", "# TYPE up gauge\nup{job=\"a\"} 1 1764900000\n# EOF\n")
        let cases: [(arguments: [String], vi: String, en: String)] = [
            (
                ["query", "up", "--start=-1h", "--end", "now", "--step", "0s"],
                "--step '0s': cần một thời lượng dương", "--step '0s': expected a positive duration"
            ),
            (
                ["dashboard", "--snapshot", "3x"], "không phải kích thước; cần RỘNGxCAO",
                "is not a size; expected WIDTHxHEIGHT"
            ),
            (["probe", "ftp://x"], "không phải URL http:// hay https://", "is not an http:// or https:// URL"),
            (
                ["silence", "add", "job=a", "--for", "1h", "--comment", " "], "--comment phải nói lý do",
                "--comment must say why"
            ),
            (
                ["import", input, "--db", directory.file("ioc.db")], "ioc import: 1 mẫu vào",
                "ioc import: 1 samples into"
            ),
        ]
        for (arguments, vietnamese, english) in cases {
            for (language, expected) in [("vi", vietnamese), ("en", english)] {
                try? FileManager.default.removeItem(atPath: directory.file("ioc.db"))
                let result = try await TestProcess.run(
                    try BuiltProduct.path("ioc"), arguments, environment: ["IOC_LANG": language])
                #expect(
                    (result.stdout + result.stderr).contains(expected),
                    "\(language) \(arguments): \(result.stdout)\(result.stderr)")
            }
        }
    }
}

/// Text compared with a file; `IOC_UPDATE_GOLDEN=1` rewrites the file instead.
enum Golden {
    static func compare(_ text: String, _ path: String) throws {
        if ProcessInfo.processInfo.environment["IOC_UPDATE_GOLDEN"] == "1" {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == expected, "\(path): got\n\(text)")
    }
}

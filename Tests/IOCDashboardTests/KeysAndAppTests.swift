import IOCCore
@testable import IOCDashboard
import Testing

@Suite struct KeyDecoderTests {
    @Test func keysSequencesAndUTF8SplitAcrossReads() {
        var decoder = KeyDecoder()
        #expect(decoder.decode(Array("q".utf8)) == [.character("q")])
        // An arrow split after ESC [ waits for its last byte.
        #expect(decoder.decode([0x1B, 0x5B]).isEmpty)
        #expect(decoder.isWaiting)
        #expect(decoder.decode([0x41]) == [.up])
        // "ế" (E1 BA BF) split in the middle.
        let letter = Array("ế".utf8)
        #expect(decoder.decode(Array(letter.prefix(2))).isEmpty)
        #expect(decoder.decode(Array(letter.suffix(1))) == [.character("ế")])
        #expect(
            decoder.decode([0x09, 0x0D, 0x7F, 0x03, 0x1A]) == [.tab, .enter, .backspace, .control("c"), .control("z")])
        #expect(decoder.decode(Array("\u{1B}[Z\u{1B}[5~\u{1B}OB".utf8)) == [.backTab, .pageUp, .down])
        // A lone ESC is the Escape key once the terminal stays quiet.
        #expect(decoder.decode([0x1B]).isEmpty)
        #expect(decoder.flush() == [.escape])
    }
}

@Suite struct DashboardAppTests {
    func app() throws -> DashboardApp {
        let file = try DashboardFile(
            from: try ConfigNode.parse(
                yaml: """
                    name: one
                    rows:
                      - panels:
                          - {widget: status_grid, query: probe_success}
                          - {widget: alerts}
                    """, file: "one.yaml"), file: "one.yaml")
        let other = try DashboardFile(
            from: try ConfigNode.parse(
                yaml: "name: two\nrows:\n  - panels:\n      - {widget: text, text: x}\n", file: "two.yaml"),
            file: "two.yaml")
        var app = DashboardApp(screens: [
            DashboardScreen(dashboard: file, source: "s", language: .en),
            DashboardScreen(dashboard: other, source: "s", language: .en),
        ])
        let down = Labels([
            ("alertname", "ServiceDown"), ("province", "Huế"), ("service", "dvc"), ("severity", "critical"),
        ])
        app.data = [
            [
                .instant([
                    (Labels([("province", "Huế"), ("service", "dvc")]), 1, 0),
                    (Labels([("province", "Hà Nội"), ("service", "dvc")]), 0, 0),
                ]),
                .alerts([AlertRow(state: .firing, labels: down, summary: "down", activeAt: 0, silenced: false)]),
            ]
        ]
        return app
    }

    @Test func tabSwitchesDashboardsAndQQuits() throws {
        var app = try app()
        #expect(app.handle(.tab) == [.refresh])
        #expect(app.shown.dashboard.name == "two")
        #expect(app.handle(.backTab) == [.refresh])
        #expect(app.shown.dashboard.name == "one")
        #expect(app.handle(.character("q")) == [.quit])
        #expect(app.handle(.control("c")) == [.quit])
    }

    @Test func enterDrillsIntoTheSelectedProvinceAndEscGoesBack() throws {
        var app = try app()
        _ = app.handle(.down)
        #expect(app.shown.selection == 0)
        // Provinces in the catalogue's order: Hà Nội first.
        #expect(app.handle(.enter) == [.refresh])
        #expect(app.shown.dashboard.title.contains("province=Hà Nội"))
        #expect(app.handle(.escape) == [.refresh])
        #expect(app.shown.dashboard.name == "one")
    }

    /// The grid sorts worst first; when Huế goes down it moves to the top, and the selection stays
    /// on Hà Nội, where the operator put it: Enter opens Hà Nội, not whatever row 0 now holds.
    @Test func theSelectionFollowsItsProvinceWhenTheGridReSorts() throws {
        // A grid sorted worst first, as the overview's is.
        let file = try DashboardFile(
            from: try ConfigNode.parse(
                yaml: "name: one\nrows:\n  - panels:\n      - {widget: status_grid, query: probe_success, sort: asc}\n",
                file: "one.yaml"), file: "one.yaml")
        var app = DashboardApp(screens: [DashboardScreen(dashboard: file, source: "s", language: .en)])
        app.data = [
            [
                .instant([
                    (Labels([("province", "Huế"), ("service", "dvc")]), 1, 0),
                    (Labels([("province", "Hà Nội"), ("service", "dvc")]), 0, 0),
                ])
            ]
        ]
        _ = app.handle(.down)
        let before = try #require(app.shown.selection)
        #expect(app.shown.selected == Labels([("province", "Hà Nội")]))
        app.data[0][0] = .instant([
            (Labels([("province", "Huế"), ("service", "dvc")]), 0, 0),
            (Labels([("province", "Hà Nội"), ("service", "dvc")]), 1, 0),
            (Labels([("province", "Cao Bằng"), ("service", "dvc")]), 0, 0),
        ])
        app.followSelection()
        // Hà Nội, now the one province up, is last of the three: the index moved with it.
        #expect(before == 0 && app.shown.selection == 2)
        #expect(app.shown.selected == Labels([("province", "Hà Nội")]))
        #expect(app.handle(.enter) == [.refresh])
        #expect(app.shown.dashboard.title.contains("province=Hà Nội"))
    }

    @Test func oSortsTheFocusedTableTheOtherWay() throws {
        let file = try DashboardFile(
            from: try ConfigNode.parse(
                yaml: "name: t\nrows:\n  - panels:\n      - {widget: table, query: up}\n", file: "t.yaml"),
            file: "t.yaml")
        var app = DashboardApp(screens: [DashboardScreen(dashboard: file, source: "s", language: .en)])
        #expect(app.shown.dashboard.rows[0].panels[0].ascending == false)
        _ = app.handle(.character("o"))
        #expect(app.shown.dashboard.rows[0].panels[0].ascending == true)
        var other = try self.app()
        _ = other.handle(.character("o"))
        #expect(other.message?.contains("sorts a table") == true)
    }

    @Test func filterAndTimeRangeAndPause() throws {
        var app = try app()
        _ = app.handle(.character("/"))
        for character in "Huế" { _ = app.handle(.character(character)) }
        _ = app.handle(.character("\u{1B}"))  // an escape character typed is not kept
        #expect(app.handle(.enter) == [.refresh])
        #expect(app.shown.filter == "Huế")
        #expect(app.handle(.character("t")) == [.refresh])
        #expect(app.shown.timeRange == .seconds(21_600))
        _ = app.handle(.character("p"))
        #expect(app.shown.paused)
        _ = app.handle(.escape)
        #expect(app.shown.filter.isEmpty)
    }

    @Test func silencingTheSelectedAlertAsksForDurationAndComment() throws {
        var app = try app()
        _ = app.handle(.character("a"))
        #expect(app.shown.focus == (0, 1))
        _ = app.handle(.character("s"))
        #expect(app.mode == .silenceDuration("2h"))
        _ = app.handle(.backspace)
        _ = app.handle(.backspace)
        for character in "30m" { _ = app.handle(.character(character)) }
        _ = app.handle(.enter)
        #expect(app.mode == .silenceComment(duration: .seconds(1_800), text: ""))
        for character in "nâng cấp" { _ = app.handle(.character(character)) }
        let actions = app.handle(.enter)
        #expect(
            actions == [
                .silence(
                    matchers: #"{alertname="ServiceDown",province="Huế",service="dvc"}"#, duration: .seconds(1_800),
                    comment: "nâng cấp")
            ])
    }
}

@Suite struct ColorDepthTests {
    @Test func theEnvironmentChoosesTheColours() {
        #expect(Renderer.ColorDepth.from(["NO_COLOR": "1", "COLORTERM": "truecolor"]) == .none)
        #expect(Renderer.ColorDepth.from(["COLORTERM": "truecolor"]) == .trueColor)
        #expect(Renderer.ColorDepth.from(["TERM": "xterm-256color"]) == .palette256)
        #expect(Renderer.ColorDepth.from(["TERM": "linux"]) == .sixteen)
        let red = CellStyle(foreground: .red)
        #expect(Renderer.sgr(red, depth: .sixteen) == "\u{1B}[0;31m")
        #expect(Renderer.sgr(red, depth: .palette256) == "\u{1B}[0;38;5;167m")
        #expect(Renderer.sgr(red, depth: .trueColor) == "\u{1B}[0;38;2;220;60;60m")
        #expect(Renderer.sgr(CellStyle(foreground: .red, bold: true), depth: .none) == "\u{1B}[0;1m")
    }
}

@Suite struct DashboardFilterTests {
    func screen(_ filter: String) throws -> DashboardScreen {
        let file = try DashboardFile(
            from: try ConfigNode.parse(
                yaml: "name: one\nrows:\n  - panels:\n      - {widget: status_grid, query: probe_success}\n",
                file: "one.yaml"), file: "one.yaml")
        var screen = DashboardScreen(dashboard: file, source: "s", language: .en)
        screen.filter = filter
        return screen
    }

    let haNoi = Labels([("job", "ha-noi"), ("province", "Hà Nội"), ("service", "dvc")])
    let hue = Labels([("job", "hue"), ("province", "Huế"), ("service", "lgsp")])

    @Test(arguments: ["ha noi", "hà nội", "HA NOI", "province=ha noi"])
    func theFilterIgnoresCaseAndVietnameseMarks(_ typed: String) throws {
        let screen = try screen(typed)
        #expect(screen.matchesFilter(haNoi))
        #expect(!screen.matchesFilter(hue))
    }

    @Test func theJobSlugIsNotWhatTheFilterFinds() throws {
        // "ha-noi" is only in the job, which is not shown.
        #expect(!(try screen("ha-noi")).matchesFilter(haNoi))
        #expect(try screen("hue").matchesFilter(hue))
    }
}

/// The alerts panel of an operations centre: the firing critical alert on its first line whatever
/// else fires, a count by severity, and a sign that more lines exist.
@Suite struct AlertPanelTests {
    @Test func theCriticalAlertComesFirstAndTheRestAreCounted() {
        var alerts = (0..<26).map { index in
            AlertRow(
                state: .firing,
                labels: Labels([("alertname", "ExchangeSlow"), ("severity", "warning"), ("province", "P\(index)")]),
                summary: "slow", activeAt: Int64(index), silenced: false)
        }
        alerts.append(
            AlertRow(
                state: .pending, labels: Labels([("alertname", "Pending"), ("severity", "critical")]), summary: "",
                activeAt: 0, silenced: false))
        alerts.append(
            AlertRow(
                state: .firing,
                labels: Labels([("alertname", "ServiceDown"), ("severity", "critical"), ("province", "Huế")]),
                summary: "dvc of Huế is down", activeAt: 500, silenced: false))
        let sorted = alerts.sorted(by: AlertRow.byPriority)
        #expect(sorted.first?.labels["alertname"] == "ServiceDown")
        #expect(sorted.last?.state == .pending)
        var canvas = Canvas(width: 70, height: 6, language: .en)
        Widgets.alertList(sorted, now: 1_000, selection: nil, in: Rect(x: 0, y: 0, width: 70, height: 6), on: &canvas)
        let lines = canvas.plainText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].hasPrefix("1 critical · 26 warning · 1 pending"), "\(lines)")
        #expect(lines[1].contains("ServiceDown") && lines[1].contains("Huế"), "\(lines)")
        #expect(lines[5].hasPrefix("+24 more"), "\(lines)")
    }
}

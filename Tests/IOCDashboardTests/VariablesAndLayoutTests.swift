import Foundation
import IOCCore
@testable import IOCDashboard
import IOCStore
import TestSupport
import Testing

/// One dashboard for every province (variables), alert lists scoped to it, and layouts that give
/// each panel the room its widget needs or say which did not fit.
@Suite struct VariablesAndLayoutTests {
    let now: Int64 = 1_795_946_400_000

    func file(_ yaml: String) throws -> DashboardFile {
        try DashboardFile(from: try ConfigNode.parse(yaml: yaml, file: "d.yaml"), file: "d.yaml")
    }

    static let provinceDashboard = """
        name: province
        title: IOC · $province
        variables:
          - name: province
            query: label_values(probe_success, province)
            default: Huế
        rows:
          - panels:
              - {title: 'Up · $province', widget: stat, query: 'avg(probe_success{province="$province"})'}
              - {title: Alerts, widget: alerts, matchers: ['province="${province}"']}
        """

    @Test func aVariableIsPutIntoQueriesMatchersAndTitlesEscapedForPromQL() throws {
        let dashboard = try file(Self.provinceDashboard)
        #expect(
            dashboard.variables == [
                DashboardFile.Variable(
                    name: "province", label: "province", selection: "probe_success", defaultValue: "Huế")
            ])
        // A value with a quote and a backslash stays inside its PromQL string.
        let resolved = dashboard.resolved(["province": #"Hà "Nội"\"#])
        let panel = resolved.rows[0].panels[0]
        #expect(panel.title == #"Up · Hà "Nội"\"#)
        #expect(panel.problem == nil)
        #expect(
            panel.query.map { "\($0)" }?.contains(#"Hà \"Nội\"\\"#) == true, "\(String(describing: panel.query))")
        let matchers = try #require(resolved.rows[0].panels[1].matchers)
        #expect(matchers.count == 1 && matchers[0].value == #"Hà "Nội"\"#)
        #expect(resolved.title == #"IOC · Hà "Nội"\"#)
    }

    @Test(arguments: [
        ("variables: [{name: p, query: 'values(up, p)'}]", 1, "label_values(SELECTION, LABEL)"),
        ("variables: [{name: p, query: 'label_values(up{, p)'}]", 1, "could not parse the selection"),
        ("variables: [{name: p-q, query: 'label_values(up, p)'}]", 1, "a variable's name"),
        ("rows: [{panels: [{widget: stat, query: up, matchers: ['a=\"b\"']}]}]", 1, "only an alerts or log panel"),
    ])
    func aBadVariableOrMatcherIsAnErrorWithItsLine(yaml: String, line: Int, message: String) throws {
        let text = "name: d\n" + (yaml.hasPrefix("rows") ? yaml : yaml + "\nrows: [{panels: [{widget: text}]}]")
        #expect {
            _ = try file(text)
        } throws: { error in
            "\(error)".contains(message) && "\(error)".contains("d.yaml:")
        }
    }

    /// The provinces come from the data, in Vietnamese alphabetical order; `v` steps through them,
    /// and the alert list shows the chosen province's alerts only.
    @Test func vStepsThroughTheProvincesAndTheAlertsFollow() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let writer = try SampleWriter(path: path, clock: { now })
        for province in ["Huế", "Đà Nẵng", "Điện Biên", "Cà Mau", "Cao Bằng", "Cần Thơ", "An Giang"] {
            writer.append([
                LabeledSample(
                    labels: Labels([("__name__", "probe_success"), ("province", province)]),
                    sample: Sample(timestamp: now, value: 1))
            ])
        }
        let labels = Labels([("alertname", "ServiceDown"), ("province", "Cần Thơ"), ("severity", "critical")])
        writer.record(
            alerts: [
                "g/ServiceDown/0": [
                    Alert(
                        labels: labels, annotations: Labels(), state: .firing, activeAt: now - 60_000,
                        firedAt: now, resolvedAt: nil, keepFiringSince: nil, value: 0)
                ]
            ], history: [])
        writer.close()
        let backend = LocalBackend(reader: try StoreReader(path: path))

        var app = DashboardApp(screens: [DashboardScreen(dashboard: try file(Self.provinceDashboard), source: "s")])
        app.shown.loadVariables(from: backend, now: now)
        #expect(
            app.shown.options["province"] == [
                "An Giang", "Cà Mau", "Cao Bằng", "Cần Thơ", "Đà Nẵng", "Điện Biên", "Huế",
            ])
        #expect(app.shown.values["province"] == "Huế")
        #expect(app.shown.dashboard.title == "IOC · Huế")
        func alerts() -> [String] {
            guard case .alerts(let rows) = app.shown.load(from: backend, now: now)[0][1] else { return ["?"] }
            return rows.compactMap { $0.labels["province"] }
        }
        #expect(alerts() == [])
        #expect(app.handle(.character("v")) == [.refresh])
        #expect(app.shown.values["province"] == "An Giang", "after the last, the first")
        for _ in 0..<3 { _ = app.handle(.character("v")) }
        #expect(app.shown.values["province"] == "Cần Thơ")
        #expect(alerts() == ["Cần Thơ"])
        _ = app.handle(.character("V"))
        #expect(app.shown.values["province"] == "Cao Bằng")
        // A value asked for on the command line is kept while the data has it.
        var screen = DashboardScreen(
            dashboard: try file(Self.provinceDashboard), source: "s", values: ["province": "Đà Nẵng"])
        screen.loadVariables(from: backend, now: now)
        #expect(screen.values["province"] == "Đà Nẵng")
    }

    /// An alert held back by an inhibition or a maintenance window is marked as such, not hidden:
    /// the dashboard asks the notifier's rules (`muting`) as `ioc alerts` does.
    @Test func inhibitedAlertsAreMarkedNotHidden() {
        let rows = [
            AlertRow(
                state: .firing, labels: Labels([("alertname", "ServiceDown"), ("severity", "critical")]),
                summary: "down",
                activeAt: now - 60_000, silenced: false),
            AlertRow(
                state: .firing, labels: Labels([("alertname", "ServiceSlow"), ("severity", "warning")]),
                summary: "slow",
                activeAt: now - 60_000, silenced: true, mute: "inhibited"),
            AlertRow(
                state: .firing, labels: Labels([("alertname", "FeedDown"), ("severity", "warning")]), summary: "feed",
                activeAt: now - 60_000, silenced: true, mute: "maintenance"),
        ]
        for width in [40, 90] {
            var canvas = Canvas(width: width, height: 5, language: .en)
            Widgets.alertList(
                rows, now: now, selection: nil, in: Rect(x: 0, y: 0, width: width, height: 5), on: &canvas)
            let lines = canvas.plainText.split(separator: "\n").map(String.init)
            #expect(lines[0].hasPrefix("1 critical · 2 muted"), "\(lines)")
            #expect(lines[1].hasPrefix(width < 60 ? "FIRE" : "FIRING") && lines[1].contains("ServiceDown"), "\(lines)")
            #expect(lines[2].hasPrefix(width < 60 ? "INHB" : "INHIB") && lines[2].contains("ServiceSlow"), "\(lines)")
            #expect(lines[3].hasPrefix(width < 60 ? "MNT" : "MAINT") && lines[3].contains("FeedDown"), "\(lines)")
        }
    }

    /// The longest change ("cancelled") keeps its space before the alert's name, and a national
    /// platform's line names the platform.
    @Test func logLinesKeepTheirColumnsApart() {
        var canvas = Canvas(width: 70, height: 2, language: .en)
        Widgets.log(
            [
                LogLine(
                    time: now, change: "cancelled",
                    labels: Labels([("alertname", "ServiceDown"), ("province", "Huế"), ("service", "dvc")]), summary: ""
                ),
                LogLine(
                    time: now, change: "firing",
                    labels: Labels([("alertname", "ServiceDown"), ("platform", "vneid"), ("service", "portal")]),
                    summary: "down"),
            ], in: Rect(x: 0, y: 0, width: 70, height: 2), on: &canvas)
        let lines = canvas.plainText.split(separator: "\n").map(String.init)
        #expect(lines[0].contains("cancelled ServiceDown Huế/dvc"), "\(lines)")
        #expect(lines[1].contains("ServiceDown vneid/portal down"), "\(lines)")
    }

    @Test func sharesAddUpAndKeepTheirMinimums() {
        #expect(Layout.share(80, weights: [1, 1, 1], minimums: [8, 32, 8]) == [24, 32, 24])
        #expect(Layout.share(80, weights: [1, 3], minimums: [10, 10]) == [20, 60])
        #expect(Layout.share(22, weights: [1, 3, 2, 2], minimums: [3, 6, 4, 4]).reduce(0, +) == 22)
        let parts = Layout.share(22, weights: [1, 3, 2, 2], minimums: [3, 6, 4, 4])
        #expect(zip(parts, [3, 6, 4, 4]).allSatisfy { $0 >= $1 }, "\(parts)")
    }

    /// On a screen too small for all of it, the first rows keep their room, the rest are named on
    /// one line, and `z` opens the focused panel over the whole screen.
    @Test func whatDoesNotFitIsNamedAndZOpensIt() throws {
        let dashboard = try file(
            """
            name: d
            rows:
              - panels: [{title: Grid, widget: status_grid, query: up}]
              - panels: [{title: Chart, widget: line_chart, query: up}]
              - panels: [{title: Tiền tệ / Money, widget: table, query: up}, {title: Log, widget: log}]
            """)
        let layout = Layout(dashboard, in: Rect(x: 0, y: 1, width: 60, height: 14))
        #expect(layout.placed.map { [$0.row, $0.panel] } == [[0, 0], [1, 0]])
        #expect(layout.collapsed.map { [$0.row, $0.panel] } == [[2, 0], [2, 1]])
        #expect(layout.collapsedLine == Rect(x: 0, y: 14, width: 60, height: 1))

        var app = DashboardApp(screens: [DashboardScreen(dashboard: dashboard, source: "s", language: .en)])
        _ = app.handle(.right)
        _ = app.handle(.right)
        var canvas = Canvas(width: 60, height: 16, language: .en)
        app.draw(&canvas, freshness: Freshness(newest: now), now: now, silenced: { _ in false })
        let lines = canvas.plainText.split(separator: "\n", omittingEmptySubsequences: false)
        // A bilingual title in the screen's language only.
        #expect(lines[14].hasPrefix("▸ 2 more: Money · Log"), "\(lines[14])")
        _ = app.handle(.character("z"))
        canvas = Canvas(width: 60, height: 16, language: .en)
        app.draw(&canvas, freshness: Freshness(newest: now), now: now, silenced: { _ in false })
        #expect(canvas.plainText.split(separator: "\n")[1].hasPrefix("┌─ Money "))
        _ = app.handle(.escape)
        #expect(!app.shown.zoomed)
    }

    /// Panels too narrow beside each other move to a line of their own rather than shrink.
    @Test func aPanelTooNarrowBesideTheOthersMovesBelowThem() throws {
        let dashboard = try file(
            """
            name: d
            rows:
              - panels: [{widget: alerts}, {widget: alerts}, {widget: alerts}]
            """)
        let layout = Layout(dashboard, in: Rect(x: 0, y: 0, width: 80, height: 20))
        #expect(
            layout.placed.map(\.rect) == [
                Rect(x: 0, y: 0, width: 40, height: 10), Rect(x: 40, y: 0, width: 40, height: 10),
                Rect(x: 0, y: 10, width: 80, height: 10),
            ])
    }
}

import IOCCore
@testable import IOCDashboard
import Testing

/// Values a feed may send (NaN, ±Inf, 1e300, -1e300) drawn by every widget: a picture, never a trap.
@Suite struct HostileValueTests {
    static let values: [Double] = [.nan, .infinity, -.infinity, 1e300, -1e300, 1e19, -1e19, Sample.staleNaN]

    func panels() throws -> [DashboardFile.Panel] {
        let yaml = """
            name: hostile
            rows:
              - height: 4
                panels:
                  - {title: s, widget: stat, query: up, unit: s}
                  - {title: g, widget: gauge, query: up, unit: s, min: 0, max: 2}
                  - {title: p, widget: sparkline, query: up, unit: bytes}
                  - {title: l, widget: line_chart, query: up, unit: '%'}
                  - {title: b, widget: bar_chart, query: up, unit: days}
            """
        let file = try DashboardFile(from: try ConfigNode.parse(yaml: yaml, file: "hostile.yaml"), file: "hostile.yaml")
        return file.rows.flatMap(\.panels)
    }

    @Test func everyWidgetDrawsHostileValues() throws {
        let rect = Rect(x: 0, y: 0, width: 40, height: 6)
        for panel in try panels() {
            for value in Self.values {
                var canvas = Canvas(width: 40, height: 6, language: .en)
                let series = Series(
                    labels: Labels(["__name__": "up", "v": "\u{1B}[31m"]),
                    samples: [
                        Sample(timestamp: 0, value: 1), Sample(timestamp: 1000, value: value),
                        Sample(timestamp: 2000, value: -value),
                    ])
                // What each widget must show of the value: its text in the panel's unit (a dash for
                // NaN, ±∞ for infinities), or a chart of the finite samples beside it.
                let shown: String
                switch panel.widget {
                case .stat:
                    Widgets.stat(value, panel: panel, in: rect, on: &canvas)
                    shown = UnitFormat.format(value, panel.unit, .en)
                case .gauge:
                    Widgets.gauge(value, panel: panel, in: rect, on: &canvas)
                    shown = UnitFormat.format(value, panel.unit, .en)
                case .sparkline:
                    Widgets.sparkline(series, panel: panel, in: rect, on: &canvas)
                    shown = UnitFormat.format(-value, panel.unit, .en)
                case .lineChart:
                    Widgets.lineChart([series], from: 0, through: 2000, panel: panel, in: rect, on: &canvas)
                    shown = ""
                    #expect(!canvas.plainText.contains("no data"), "\(value)")
                case .barChart:
                    Widgets.barChart(
                        [(series.labels, value, 0), (Labels(["v": "b"]), 1, 0)], panel: panel, in: rect, on: &canvas)
                    shown = UnitFormat.format(value, panel.unit, .en)
                default: continue
                }
                #expect(
                    shown.isEmpty || canvas.plainText.contains(shown), "\(panel.widget) \(value): \(canvas.plainText)")
                #expect(!canvas.plainText.contains("\u{1B}"))
            }
        }
        #expect(UnitFormat.format(.nan, .seconds, .en) == "–")
        #expect(
            UnitFormat.format(.infinity, .seconds, .en) == "+∞" && UnitFormat.format(-.infinity, .bytes, .en) == "−∞")
        // Past what a duration can hold, an age clamped to 10¹² seconds: days, not a trap.
        #expect(
            UnitFormat.format(1e300, .seconds, .en).hasPrefix("11574074d"), "\(UnitFormat.format(1e300, .seconds, .en))"
        )
        #expect(
            UnitFormat.format(1e300, .plain, .en) == "1e+300"
                && UnitFormat.format(-1e300, .bytes, .en) == "-9.09e+287 TiB")
        #expect(TargetsView.formatLatency(.nan) == "-")
        #expect(TargetsView.formatLatency(1e300) == "1e+300 s")
    }
}

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
                var canvas = Canvas(width: 40, height: 6)
                let series = Series(
                    labels: Labels(["__name__": "up", "v": "\u{1B}[31m"]),
                    samples: [
                        Sample(timestamp: 0, value: 1), Sample(timestamp: 1000, value: value),
                        Sample(timestamp: 2000, value: -value),
                    ])
                switch panel.widget {
                case .stat: Widgets.stat(value, panel: panel, in: rect, on: &canvas)
                case .gauge: Widgets.gauge(value, panel: panel, in: rect, on: &canvas)
                case .sparkline: Widgets.sparkline(series, panel: panel, in: rect, on: &canvas)
                case .lineChart:
                    Widgets.lineChart([series], from: 0, through: 2000, panel: panel, in: rect, on: &canvas)
                case .barChart:
                    Widgets.barChart(
                        [(series.labels, value, 0), (Labels(["v": "b"]), 1, 0)], panel: panel, in: rect, on: &canvas)
                default: continue
                }
                #expect(canvas.width == 40)
            }
        }
        for value in Self.values {
            #expect(!TargetsView.formatLatency(value).isEmpty)
            #expect(!UnitFormat.format(value, .seconds).isEmpty)
        }
        #expect(UnitFormat.format(1e300, .seconds).hasSuffix("d 0h") || !UnitFormat.format(1e300, .seconds).isEmpty)
        #expect(TargetsView.formatLatency(1e300).hasSuffix("s"))
    }
}

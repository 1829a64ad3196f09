import IOCCore

/// The first dashboard: a title bar with counts, then one line per target, what needs attention first.
public struct TargetsView: Sendable {
    public var title: String
    public var storePath: String

    public init(title: String = "IOC", storePath: String) {
        self.title = title
        self.storePath = storePath
    }

    /// Draws the targets, or `problem` (for example "waiting for the store") when there is no data.
    public func draw(_ targets: [TargetStatus], problem: String?, now: Int64, into canvas: inout Canvas) {
        let bar = CellStyle(foreground: .black, background: .cyan)
        canvas.fill(row: 0, style: bar)
        let up = targets.count { $0.state == .up }
        let down = targets.count { $0.state == .down }
        let stale = targets.count { $0.state == .stale }
        let degraded = targets.count { $0.state == .degraded }
        var x = canvas.write(
            " \(title) ", x: 0, y: 0, style: CellStyle(foreground: .black, background: .cyan, bold: true))
        x = canvas.write(" \(targets.count) targets  ", x: x, y: 0, style: bar)
        x = canvas.write("▲ \(up) up  ", x: x, y: 0, style: CellStyle(foreground: .black, background: .green))
        x = canvas.write(
            " ▼ \(down) down ", x: x + 1, y: 0, style: CellStyle(foreground: .white, background: .red, bold: down > 0))
        x = canvas.write(
            " ◆ \(degraded) degraded ", x: x + 1, y: 0, style: CellStyle(foreground: .white, background: .magenta))
        canvas.write(" ? \(stale) stale ", x: x + 1, y: 0, style: CellStyle(foreground: .black, background: .yellow))
        let clock = UTCTime.format(now)
        canvas.write(clock, x: max(0, canvas.width - TerminalText.width(of: clock) - 1), y: 0, style: bar)

        let columns: [(title: String, width: Int, right: Bool)] = [
            ("STATE", 8, false), ("PROVINCE", 16, false), ("SERVICE", 10, false), ("LATENCY", 9, true),
            ("CODE", 4, true), ("AGE", 6, true), ("INSTANCE", 0, false),
        ]
        func row(_ values: [String], y: Int, style: CellStyle, stateStyle: CellStyle? = nil) {
            var column = 1
            for (index, spec) in columns.enumerated() {
                let width = spec.width > 0 ? spec.width : max(0, canvas.width - column - 1)
                canvas.write(
                    TerminalText.pad(values[index], to: width, alignRight: spec.right), x: column, y: y,
                    style: index == 0 ? (stateStyle ?? style) : style)
                column += width + 2
            }
        }
        row(columns.map(\.title), y: 2, style: CellStyle(bold: true))
        if let problem {
            canvas.write(problem, x: 1, y: 4, style: CellStyle(foreground: .yellow))
        } else if targets.isEmpty {
            canvas.write("No probe results in the last 15 minutes. Is iocd running against \(storePath)?", x: 1, y: 4)
        }
        let visible = max(0, canvas.height - 5)
        for (index, target) in targets.prefix(visible).enumerated() {
            let color: TerminalColor =
                switch target.state {
                case .up: .green
                case .down: .red
                case .stale: .yellow
                case .degraded: .magenta
                }
            row(
                [
                    target.state.rawValue, target.province, target.service,
                    target.latencySeconds.map(Self.formatLatency) ?? "-",
                    target.statusCode.map(String.init) ?? "-", Self.formatAge(target.ageMilliseconds), target.instance,
                ], y: 3 + index, style: target.state == .stale ? CellStyle(dim: true) : .plain,
                stateStyle: CellStyle(foreground: color, bold: target.state != .up))
        }
        if targets.count > visible {
            canvas.write("… \(targets.count - visible) more", x: 1, y: canvas.height - 2, style: CellStyle(dim: true))
        }
        canvas.write(
            " q quit · refreshed every second · \(storePath)", x: 0, y: canvas.height - 1, style: CellStyle(dim: true))
    }

    static func formatLatency(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "-" }
        if seconds < 1 { return "\(Cells.count(seconds * 1000)) ms" }
        if seconds >= 1e9 { return String(format: "%.3g s", seconds) }
        let tenths = Cells.count(seconds * 10)
        return "\(tenths / 10).\(tenths % 10) s"
    }

    static func formatAge(_ milliseconds: Int64) -> String {
        let seconds = max(0, milliseconds / 1000)
        if seconds < 120 { return "\(seconds)s" }
        if seconds < 7200 { return "\(seconds / 60)m" }
        return "\(seconds / 3600)h"
    }

}

public import IOCCore

/// The first dashboard: a title bar with counts, then one line per target, what needs attention first.
public struct TargetsView: Sendable {
    public var title: String
    public var storePath: String
    public var language: Language

    public init(title: String = "IOC", storePath: String, language: Language = .vi) {
        self.title = title
        self.storePath = storePath
        self.language = language
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
        func count(_ key: String, _ value: Int) -> String { language.localized(key, ["count": "\(value)"]) }
        x = canvas.write(count("targets.count", targets.count), x: x, y: 0, style: bar)
        x = canvas.write(count("targets.up", up), x: x, y: 0, style: CellStyle(foreground: .black, background: .green))
        x = canvas.write(
            count("targets.down", down), x: x + 1, y: 0,
            style: CellStyle(foreground: .white, background: .red, bold: down > 0))
        x = canvas.write(
            count("targets.degraded", degraded), x: x + 1, y: 0,
            style: CellStyle(foreground: .white, background: .magenta))
        canvas.write(
            count("targets.stale", stale), x: x + 1, y: 0, style: CellStyle(foreground: .black, background: .yellow))
        let clock = UTCTime.display(now, language: language)
        canvas.write(clock, x: max(0, canvas.width - TerminalText.width(of: clock) - 1), y: 0, style: bar)

        // As wide as the widest state in this language (DEGRADED, HOẠT ĐỘNG) or its heading.
        let stateWidth =
            ["state.up", "state.down", "state.stale", "state.degraded", "targets.state"].map {
                TerminalText.width(of: language.localized($0))
            }.max() ?? 8
        let columns: [(title: String, width: Int, right: Bool)] = [
            ("targets.state", stateWidth, false), ("targets.province", 16, false), ("targets.service", 10, false),
            ("targets.latency", 9, true), ("targets.code", 4, true), ("targets.age", 6, true),
            ("targets.instance", 0, false),
        ].map { (language.localized($0.0), $0.1, $0.2) }
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
            canvas.write(language.localized("targets.empty", ["path": storePath]), x: 1, y: 4)
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
                    language.localized("state." + target.state.rawValue.lowercased()), target.province, target.service,
                    target.latencySeconds.map(Self.formatLatency) ?? "-",
                    target.statusCode.map(String.init) ?? "-", Self.formatAge(target.ageMilliseconds), target.instance,
                ], y: 3 + index, style: target.state == .stale ? CellStyle(dim: true) : .plain,
                stateStyle: CellStyle(foreground: color, bold: target.state != .up))
        }
        if targets.count > visible {
            canvas.write(
                count("targets.more", targets.count - visible), x: 1, y: canvas.height - 2, style: CellStyle(dim: true))
        }
        canvas.write(
            language.localized("targets.footer", ["path": storePath]), x: 0, y: canvas.height - 1,
            style: CellStyle(dim: true))
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

import IOCCore

/// Where a dashboard's panels go on a screen of a given size. Rows and panels share the room by
/// their relative heights and widths, but no panel gets less than its widget needs to say anything
/// (`minimumInner`): a panel too narrow beside the others moves to a line of its own below them,
/// and when the lines do not all fit, the last ones (the least important: a dashboard puts what
/// matters first) collapse into one line that names them, where `z` opens the focused one.
struct Layout: Equatable {
    struct Placement: Equatable {
        var row: Int
        var panel: Int
        var rect: Rect
    }

    var placed: [Placement] = []
    /// Panels that did not fit, in reading order, and the line that names them.
    var collapsed: [(row: Int, panel: Int)] = []
    var collapsedLine: Rect?

    static func == (a: Layout, b: Layout) -> Bool {
        a.placed == b.placed && a.collapsed.map { [$0.row, $0.panel] } == b.collapsed.map { [$0.row, $0.panel] }
            && a.collapsedLine == b.collapsedLine
    }

    /// One line of panels: those of a row, or of the part of a row that fits across the screen.
    private struct Line {
        var row: Int
        var panels: [Int]
        var weight: Int
        var minimumHeight: Int
    }

    init(_ dashboard: DashboardFile, in area: Rect, zoomed: (row: Int, panel: Int)? = nil) {
        if let zoomed {
            placed = [Placement(row: zoomed.row, panel: zoomed.panel, rect: area)]
            return
        }
        // Panels that do not fit across beside each other are carried to a line of their own.
        var lines: [Line] = []
        for (rowIndex, row) in dashboard.rows.enumerated() {
            var current: [Int] = []
            var used = 0
            for (index, panel) in row.panels.enumerated() {
                let needed = panel.widget.minimumInner.width + 2
                if !current.isEmpty && used + needed > area.width {
                    lines.append(Self.line(rowIndex, current, row))
                    current = []
                    used = 0
                }
                current.append(index)
                used += needed
            }
            if !current.isEmpty { lines.append(Self.line(rowIndex, current, row)) }
        }
        // The last lines collapse until the others fit with one line left to name them.
        var kept = lines
        var total = kept.reduce(0) { $0 + $1.minimumHeight }
        if total > area.height {
            while let last = kept.last, total > area.height - 1, kept.count > 1 {
                total -= last.minimumHeight
                kept.removeLast()
            }
            for line in lines.dropFirst(kept.count) {
                collapsed += line.panels.map { (line.row, $0) }
            }
            collapsedLine = Rect(x: area.x, y: area.y + area.height - 1, width: area.width, height: 1)
        }
        let room = area.height - (collapsedLine == nil ? 0 : 1)
        let heights = Self.share(room, weights: kept.map(\.weight), minimums: kept.map(\.minimumHeight))
        var y = area.y
        for (line, height) in zip(kept, heights) {
            let panels = line.panels.map { dashboard.rows[line.row].panels[$0] }
            let widths = Self.share(
                area.width, weights: panels.map(\.width), minimums: panels.map { $0.widget.minimumInner.width + 2 })
            var x = area.x
            for (index, width) in zip(line.panels, widths) {
                placed.append(
                    Placement(row: line.row, panel: index, rect: Rect(x: x, y: y, width: width, height: height)))
                x += width
            }
            y += height
        }
    }

    private static func line(_ row: Int, _ panels: [Int], _ item: DashboardFile.Row) -> Line {
        Line(
            row: row, panels: panels, weight: item.height,
            minimumHeight: panels.map { item.panels[$0].widget.minimumInner.height + 2 }.max() ?? 3)
    }

    /// `total` cells shared by `weights`, none below its minimum where the total allows: those whose
    /// share would be below their minimum get it, and the rest share what remains. The parts add
    /// up to `total` exactly.
    static func share(_ total: Int, weights: [Int], minimums: [Int]) -> [Int] {
        guard !weights.isEmpty else { return [] }
        var fixed = [Int?](repeating: nil, count: weights.count)
        while true {
            let free = weights.indices.filter { fixed[$0] == nil }
            let remaining = total - fixed.compactMap { $0 }.reduce(0, +)
            let weight = max(1, free.reduce(0) { $0 + weights[$1] })
            guard let short = free.first(where: { remaining * weights[$0] / weight < minimums[$0] }),
                free.count > 1
            else { break }
            fixed[short] = minimums[short]
        }
        let free = weights.indices.filter { fixed[$0] == nil }
        let remaining = max(0, total - fixed.compactMap { $0 }.reduce(0, +))
        let weight = max(1, free.reduce(0) { $0 + weights[$1] })
        var parts = weights.indices.map { fixed[$0] ?? remaining * weights[$0] / weight }
        // What rounding left over goes to the last free part (or the last part).
        let leftover = total - parts.reduce(0, +)
        parts[free.last ?? parts.count - 1] += leftover
        return parts.map { max(0, $0) }
    }
}

extension DashboardFile.Widget {
    /// The smallest inside (columns, lines) at which the widget still says something: a chart needs
    /// its axis and a few lines, an alert line its state, place and name.
    var minimumInner: (width: Int, height: Int) {
        switch self {
        case .stat: (7, 1)
        case .gauge, .sparkline: (12, 1)
        case .lineChart: (26, 4)
        case .barChart: (18, 2)
        case .table: (22, 2)
        case .statusGrid: (24, 3)
        case .alerts: (30, 2)
        case .log: (26, 2)
        case .text: (12, 1)
        }
    }
}

import Foundation
public import IOCCore
public import IOCQuery

/// A dashboard from `dashboards/*.yaml`: rows of panels with relative sizes, each panel a widget
/// over a PromQL query.
///
/// ```yaml
/// name: overview                  # what Tab and --dashboard call it
/// title: Tổng quan
/// time_range: 1h                  # of charts; `t` changes it
/// rows:
///   - height: 2                   # relative to the other rows
///     panels:
///       - title: Provinces × services
///         width: 3                # relative to the row's other panels
///         widget: status_grid
///         query: probe_success
///         rows_label: province
///         columns_label: service
///       - title: Latency
///         widget: line_chart
///         query: avg by (province) (probe_duration_seconds)
///         unit: s
///         legend: '{{province}}'
///         thresholds: [{value: 1, color: yellow}, {value: 3, color: red}]
/// ```
public struct DashboardFile: Sendable {
    public enum Widget: String, Sendable, CaseIterable {
        case statusGrid = "status_grid"
        case stat, gauge, sparkline
        case lineChart = "line_chart"
        case barChart = "bar_chart"
        case table, alerts, text
        /// The latest changes of alerts, newest first.
        case log
    }

    public enum Unit: String, Sendable, CaseIterable {
        case seconds = "s"
        case milliseconds = "ms"
        case percent = "%"
        case bytes
        case days
        /// A change: always signed, e.g. +1.25 or -0.50.
        case change
        case plain
    }

    /// A further column of a table: another query's value for each row (matched on the labels the
    /// legend names, or `join_on`), or with `text`, a label of it such as `{{band}}`.
    public struct Column: Sendable {
        public var title: String
        public var query: Query
        /// The query as written, with any `$variable` in it.
        public var queryText: String
        public var unit: Unit
        public var text: String?
        public var thresholds: [Threshold]
    }

    public struct Threshold: Sendable {
        public var value: Double
        public var color: TerminalColor
    }

    public struct Panel: Sendable {
        public var title: String
        public var width: Int
        public var widget: Widget
        public var query: Query?
        public var unit: Unit
        public var legend: String?
        public var thresholds: [Threshold]
        public var rowsLabel: String
        public var columnsLabel: String
        /// For tables: largest first (default) or smallest first; and at most this many rows.
        public var ascending: Bool
        public var limit: Int?
        public var minimum: Double
        public var maximum: Double
        public var text: String
        /// For tables: the heading of the query's own value, further columns, and the labels rows
        /// and columns are matched on (default: those the legend names).
        /// The value column's heading; "GIÁ TRỊ / VALUE" unless the file names it.
        public var valueTitle: String = "GIÁ TRỊ / VALUE"
        public var columns: [Column] = []
        public var joinOn: [String]? = nil
        /// How often the panel's query runs again; charts, whose range queries cost the most and
        /// whose picture hardly moves in a second, every 15 s unless told.
        public var refresh: Duration? = nil
        /// The query as written, with any `$variable` in it.
        public var queryText: String? = nil
        /// For alert lists and logs: only alerts whose labels match (`matchers: ['province="$province"']`).
        public var matchers: [LabelMatcher]? = nil
        public var matchersText: String? = nil
        /// Why the panel cannot show anything (a query that does not parse with a variable's value).
        public var problem: String? = nil

        var refreshInterval: Duration {
            refresh ?? (widget == .lineChart || widget == .sparkline ? .seconds(15) : .seconds(1))
        }
    }

    public struct Row: Sendable {
        public var height: Int
        public var panels: [Panel]
    }

    public var name: String
    public var title: String
    public var timeRange: Duration
    public var rows: [Row]
    public var file: String
    /// Variables (`$province`) the queries, matchers and titles are written with.
    public var variables: [Variable] = []

    init(name: String, title: String, rows: [Row], timeRange: Duration, file: String) {
        self.name = name
        self.title = title
        self.rows = rows
        self.timeRange = timeRange
        self.file = file
    }

    public static func load(_ path: String) throws(ConfigError) -> DashboardFile {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(file: path, "cannot read the dashboard file")
        }
        return try DashboardFile(from: try ConfigNode.parse(yaml: text, file: path), file: path)
    }

    public init(from root: ConfigNode, file: String) throws(ConfigError) {
        self.file = file
        let top = try root.mapping(
            of: "a dashboard", allowedKeys: ["name", "title", "time_range", "variables", "rows"])
        let nameNode = try top.required("name")
        name = try nameNode.string("the dashboard's name")
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw nameNode.error("a dashboard's name is letters, digits, '-' and '_', like overview or province")
        }
        title = try top["title"]?.string("'title'") ?? name
        timeRange = try top["time_range"]?.duration("'time_range'") ?? .seconds(3_600)
        variables = try Self.variables(top["variables"])
        let placeholders = Dictionary(variables.map { ($0.name, "x") }, uniquingKeysWith: { first, _ in first })
        rows = []
        for rowNode in try top.required("rows").sequence(of: "'rows'") {
            let row = try rowNode.mapping(of: "a row", allowedKeys: ["height", "panels"])
            let height = try row["height"]?.int("'height'") ?? 1
            guard (1...100).contains(height) else { throw rowNode.error("'height' is relative: 1 to 100") }
            var panels: [Panel] = []
            for panelNode in try row.required("panels").sequence(of: "'panels'") {
                panels.append(try DashboardFile.panel(panelNode, placeholders: placeholders))
            }
            guard !panels.isEmpty else { throw rowNode.error("a row needs at least one panel") }
            rows.append(Row(height: height, panels: panels))
        }
        guard !rows.isEmpty else { throw root.error("a dashboard needs at least one row") }
    }

    /// A panel; its queries and matchers are checked with `placeholders` for the variables.
    private static func panel(_ node: ConfigNode, placeholders: [String: String]) throws(ConfigError) -> Panel {
        let fields = try node.mapping(
            of: "a panel",
            allowedKeys: [
                "title", "width", "widget", "query", "unit", "legend", "thresholds", "rows_label", "columns_label",
                "sort", "limit", "min", "max", "text", "refresh", "value_title", "columns", "join_on", "matchers",
            ])
        var refresh: Duration?
        if let refreshNode = fields["refresh"] {
            refresh = try refreshNode.duration("'refresh'")
            guard let refresh, refresh >= .milliseconds(500) else {
                throw refreshNode.error("'refresh' is at least 500ms")
            }
        }
        let widgetNode = try fields.required("widget")
        let widgetName = try widgetNode.string("'widget'")
        guard let widget = Widget(rawValue: widgetName) else {
            throw widgetNode.error(
                "unknown widget '\(widgetName)'; expected one of \(Widget.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        var query: Query?
        if let queryNode = fields["query"] {
            query = try Self.query(queryNode, placeholders: placeholders)
        } else if widget != .alerts && widget != .text && widget != .log {
            throw node.error("a \(widgetName) panel needs a 'query'")
        }
        let unit = try Self.unit(fields["unit"])
        let thresholds = try Self.thresholds(fields["thresholds"])
        let width = try fields["width"]?.int("'width'") ?? 1
        guard (1...100).contains(width) else { throw node.error("'width' is relative: 1 to 100") }
        var ascending = false
        if let sortNode = fields["sort"] {
            switch try sortNode.string("'sort'") {
            case "desc": ascending = false
            case "asc": ascending = true
            case let other: throw sortNode.error("'sort' is asc or desc, not '\(other)'")
            }
        }
        func number(_ key: String, _ fallback: Double) throws(ConfigError) -> Double {
            guard let valueNode = fields[key] else { return fallback }
            guard let value = Double(try valueNode.string("'\(key)'")) else {
                throw valueNode.error("'\(key)' is a number")
            }
            return value
        }
        let columns = try Self.columns(fields["columns"], widget: widget, placeholders: placeholders)
        let (matchersText, matchers) = try Self.matchers(fields["matchers"], widget: widget, placeholders: placeholders)
        let joinOn = try fields["join_on"]?.sequence(of: "'join_on'").map { item throws(ConfigError) in
            try item.string("a label name")
        }
        var panel = Panel(
            title: try fields["title"]?.string("'title'") ?? "", width: width, widget: widget, query: query, unit: unit,
            legend: try fields["legend"]?.string("'legend'"), thresholds: thresholds,
            rowsLabel: try fields["rows_label"]?.string("'rows_label'") ?? "province",
            columnsLabel: try fields["columns_label"]?.string("'columns_label'") ?? "service", ascending: ascending,
            limit: try fields["limit"]?.int("'limit'"), minimum: try number("min", 0), maximum: try number("max", 100),
            text: try fields["text"]?.string("'text'") ?? "", refresh: refresh)
        panel.valueTitle = try fields["value_title"]?.string("'value_title'") ?? "GIÁ TRỊ / VALUE"
        panel.columns = columns
        panel.joinOn = joinOn
        panel.queryText = try fields["query"]?.string("'query'")
        panel.matchersText = matchersText
        panel.matchers = matchers
        return panel
    }

    /// An alert list's or log's `matchers`: as written, and parsed with the placeholders.
    private static func matchers(_ node: ConfigNode?, widget: Widget, placeholders: [String: String])
        throws(ConfigError) -> (String?, [LabelMatcher]?)
    {
        guard let node else { return (nil, nil) }
        guard widget == .alerts || widget == .log else {
            throw node.error("only an alerts or log panel has 'matchers'; a query selects the others' series")
        }
        let texts = try node.sequence(of: "'matchers'").map { item throws(ConfigError) in
            try item.string("a matcher")
        }
        let text = texts.joined(separator: ",")
        do {
            return (text, try Selector(parsing: "{" + substitute(text, placeholders) + "}").matchers)
        } catch {
            throw node.error("'matchers' are texts like province=\"Huế\": \(error)")
        }
    }

    private static func query(_ node: ConfigNode, placeholders: [String: String]) throws(ConfigError) -> Query {
        let text = substitute(try node.string("'query'"), placeholders, escape: promQLString)
        do {
            return try Query(parsing: text)
        } catch {
            throw node.error("could not parse the query: \(error)")
        }
    }

    /// A table's further columns.
    private static func columns(_ node: ConfigNode?, widget: Widget, placeholders: [String: String])
        throws(ConfigError) -> [Column]
    {
        var columns: [Column] = []
        for item in try node?.sequence(of: "'columns'") ?? [] {
            guard widget == .table else { throw item.error("only a table has 'columns'") }
            let column = try item.mapping(
                of: "a column", allowedKeys: ["title", "query", "unit", "text", "thresholds"])
            let queryNode = try column.required("query")
            columns.append(
                Column(
                    title: try column["title"]?.string("'title'") ?? "",
                    query: try query(queryNode, placeholders: placeholders),
                    queryText: try queryNode.string("'query'"),
                    unit: try unit(column["unit"]), text: try column["text"]?.string("'text'"),
                    thresholds: try thresholds(column["thresholds"])))
        }
        return columns
    }

    private static func unit(_ node: ConfigNode?) throws(ConfigError) -> Unit {
        guard let unitNode = node else { return .plain }
        let text = try unitNode.string("'unit'")
        guard let parsed = Unit(rawValue: text) else {
            throw unitNode.error(
                "unknown unit '\(text)'; expected one of \(Unit.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return parsed
    }

    private static func thresholds(_ node: ConfigNode?) throws(ConfigError) -> [Threshold] {
        var thresholds: [Threshold] = []
        for item in try node?.sequence(of: "'thresholds'") ?? [] {
            let threshold = try item.mapping(of: "a threshold", allowedKeys: ["value", "color"])
            let valueNode = try threshold.required("value")
            guard let value = Double(try valueNode.string("'value'")) else {
                throw valueNode.error("a threshold's value is a number")
            }
            let colorNode = try threshold.required("color")
            let colorName = try colorNode.string("'color'")
            guard let color = TerminalColor.named(colorName) else {
                throw colorNode.error(
                    "unknown colour '\(colorName)'; expected green, yellow, red, blue, cyan, magenta, white")
            }
            thresholds.append(Threshold(value: value, color: color))
        }
        return thresholds.sorted { $0.value < $1.value }
    }

    /// The dashboards in the files matching the patterns, in file order; names must be unique.
    public static func loadAll(_ paths: [String]) throws(ConfigError) -> [DashboardFile] {
        var result: [DashboardFile] = []
        for path in paths {
            let dashboard = try load(path)
            if let other = result.first(where: { $0.name == dashboard.name }) {
                throw ConfigError(file: path, "dashboard name '\(dashboard.name)' is also used by \(other.file)")
            }
            result.append(dashboard)
        }
        return result
    }
}

extension TerminalColor {
    static func named(_ name: String) -> TerminalColor? {
        switch name.lowercased() {
        case "black": .black
        case "red": .red
        case "green": .green
        case "yellow", "orange": .yellow
        case "blue": .blue
        case "magenta", "purple": .magenta
        case "cyan": .cyan
        case "white", "grey", "gray": .white
        default: nil
        }
    }
}

import Foundation
import IOCCore
import IOCQuery

/// Dashboard variables: one dashboard for every value of a label (one province dashboard for all
/// 34), as Grafana's `label_values` variables.
///
/// ```yaml
/// variables:
///   - name: province
///     query: label_values(probe_success, province)
///     default: Huế                # else the first value
/// rows:
///   - panels:
///       - title: Sẵn sàng · $province
///         widget: stat
///         query: avg(probe_success{province="$province"}) * 100
///       - widget: alerts
///         matchers: ['province="$province"']
/// ```
///
/// `$province` (or `${province}`) is replaced in queries, matchers, titles and texts; in queries
/// and matchers by the value escaped for a PromQL string, so it belongs between quotes.
extension DashboardFile {
    public struct Variable: Sendable, Equatable {
        public var name: String
        /// The label whose values are offered, and the selection they are read from.
        public var label: String
        public var selection: String
        public var defaultValue: String?

        /// `count by (label) (selection)`: one element per value.
        var valuesQuery: Query? { try? Query(parsing: "count by (\(label)) (\(selection))") }
    }

    static func variables(_ node: ConfigNode?) throws(ConfigError) -> [Variable] {
        var variables: [Variable] = []
        for item in try node?.sequence(of: "'variables'") ?? [] {
            let fields = try item.mapping(of: "a variable", allowedKeys: ["name", "query", "default"])
            let nameNode = try fields.required("name")
            let name = try nameNode.string("a variable's name")
            // `$name` ends at the first character that is not a letter, digit or '_'.
            guard let first = name.unicodeScalars.first, !("0"..."9").contains(first),
                name.unicodeScalars.allSatisfy({
                    $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0))
                })
            else {
                throw nameNode.error("a variable's name is letters, digits and '_', like province")
            }
            guard !variables.contains(where: { $0.name == name }) else {
                throw nameNode.error("variable '\(name)' is defined twice")
            }
            let queryNode = try fields.required("query")
            let text = try queryNode.string("'query'").trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix("label_values("), text.hasSuffix(")"),
                let comma = text.lastIndex(of: ",")
            else {
                throw queryNode.error("a variable's query is label_values(SELECTION, LABEL)")
            }
            let selection = String(text[text.index(text.startIndex, offsetBy: 13)..<comma])
                .trimmingCharacters(in: .whitespaces)
            let label = String(text[text.index(after: comma)..<text.index(before: text.endIndex)])
                .trimmingCharacters(in: .whitespaces)
            guard SampleAdmission.isValidLabelName(label) else {
                throw queryNode.error("'\(label)' is not a label name")
            }
            let variable = Variable(
                name: name, label: label, selection: selection,
                defaultValue: try fields["default"]?.string("'default'"))
            guard variable.valuesQuery != nil else {
                throw queryNode.error("could not parse the selection '\(selection)' of label_values")
            }
            variables.append(variable)
        }
        return variables
    }

    /// `text` with each `$name` and `${name}` replaced by its value, through `escape`.
    static func substitute(_ text: String, _ values: [String: String], escape: (String) -> String = { $0 }) -> String {
        guard text.contains("$"), !values.isEmpty else { return text }
        var result = text
        // Longest names first, so that $province_code is not read as $province followed by _code.
        for (name, value) in values.sorted(by: { $0.key.count > $1.key.count }) {
            let escaped = escape(value)
            result = result.replacingOccurrences(of: "${\(name)}", with: escaped)
                .replacingOccurrences(of: "$\(name)", with: escaped)
        }
        return result
    }

    /// A value as it goes between the double quotes of a PromQL string.
    static func promQLString(_ value: String) -> String { String(LabelMatcher.quote(value).dropFirst().dropLast()) }

    /// This dashboard with the variables' values put in. A query that no longer parses (a value
    /// used outside quotes) makes its panel say so instead of showing something else.
    public func resolved(_ values: [String: String]) -> DashboardFile {
        guard !variables.isEmpty else { return self }
        var result = self
        result.title = Self.substitute(title, values)
        for row in result.rows.indices {
            for index in result.rows[row].panels.indices {
                var panel = result.rows[row].panels[index]
                panel.title = Self.substitute(panel.title, values)
                panel.text = Self.substitute(panel.text, values)
                if let text = panel.queryText {
                    let query = Self.substitute(text, values, escape: Self.promQLString)
                    panel.query = try? Query(parsing: query)
                    if panel.query == nil { panel.problem = "the query does not parse with these values: \(query)" }
                }
                panel.matchers = panel.matchersText.flatMap { text in
                    try? Selector(parsing: "{" + Self.substitute(text, values, escape: Self.promQLString) + "}")
                        .matchers
                }
                for column in panel.columns.indices {
                    let text = Self.substitute(panel.columns[column].queryText, values, escape: Self.promQLString)
                    if let query = try? Query(parsing: text) { panel.columns[column].query = query }
                }
                result.rows[row].panels[index] = panel
            }
        }
        return result
    }
}

public import IOCCore

/// Series as OpenMetrics text with timestamps: the format `promtool tsdb create-blocks-from
/// openmetrics` reads, so that history moves to Prometheus, and that `ioc import` reads back.
/// Staleness markers are left out: OpenMetrics has no way to write them.
public enum OpenMetricsExport {
    /// Writes `series` (grouped by metric name, as OpenMetrics requires) through `write`, a piece at
    /// a time, ending with `# EOF`. Returns the number of samples written. Every family is written as
    /// type `unknown` (OpenMetrics ties counter and unit names to suffixes that Prometheus-text
    /// feeds do not follow), with its HELP when `metadata` has one.
    @discardableResult
    public static func write(
        _ series: [Series], metadata: [String: MetricMetadata] = [:], to write: (String) -> Void
    ) -> Int {
        var count = 0
        var currentName: String?
        for item in series.sorted(by: { $0.labels < $1.labels }) {
            let name = item.labels.metric ?? ""
            if name != currentName {
                write("# TYPE \(name) unknown\n")
                if let help = metadata[name]?.help {
                    write(
                        "# HELP \(name) \(help.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n"))\n"
                    )
                }
                currentName = name
            }
            let labels = labelText(item.labels)
            var text = ""
            for sample in item.samples where !sample.isStale {
                text +=
                    "\(name)\(labels) \(PrometheusNumber.format(sample.value)) "
                    + "\(PrometheusNumber.formatTimestamp(sample.timestamp))\n"
                count += 1
            }
            write(text)
        }
        write("# EOF\n")
        return count
    }

    static func labelText(_ labels: Labels) -> String {
        let pairs = labels.pairs.filter { $0.name != Labels.metricName }
        guard !pairs.isEmpty else { return "" }
        return "{" + pairs.map { "\($0.name)=\"\(Labels.escape($0.value))\"" }.joined(separator: ",") + "}"
    }
}

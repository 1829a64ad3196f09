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
                // Names that are not classic are quoted, as Prometheus 3 writes them: a name can
                // never end the line or start another.
                let exposed = Labels.exposedMetricName(name)
                write("# TYPE \(exposed) unknown\n")
                if let help = metadata[name]?.help { write("# HELP \(exposed) \(helpText(help))\n") }
                currentName = name
            }
            let series = item.labels.description
            var text = ""
            for sample in item.samples where !sample.isStale {
                text +=
                    "\(series) \(PrometheusNumber.format(sample.value)) "
                    + "\(PrometheusNumber.formatTimestamp(sample.timestamp))\n"
                count += 1
            }
            write(text)
        }
        write("# EOF\n")
        return count
    }

    /// HELP text with backslash and newline escaped, and other control characters dropped.
    public static func helpText(_ help: String) -> String {
        var out = ""
        for scalar in help.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case _ where ControlCharacters.isControl(scalar): continue
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

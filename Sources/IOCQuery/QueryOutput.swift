import Foundation
public import IOCCore

/// Query results as promtool prints them and as Prometheus' HTTP API answers them (`ioc query`,
/// iocd's `/api/v1/query`).
public enum QueryOutput {
    /// Unix seconds with decimals, or RFC 3339, to milliseconds.
    /// Times outside what a store can hold (the years 1 to 9999) are nil, like text that is no time:
    /// `1e17` is an error for the caller to report, not an overflow.
    public static func time(_ text: String) -> Int64? {
        func milliseconds(_ seconds: Double) -> Int64? {
            guard seconds.isFinite, let value = Int64(exactly: (seconds * 1000).rounded()),
                SampleAdmission.storableTimestamps.contains(value)
            else { return nil }
            return value
        }
        if let seconds = Double(text) { return milliseconds(seconds) }
        guard let time = UTCTime.parseRFC3339(text), SampleAdmission.storableTimestamps.contains(time) else {
            return nil
        }
        return time
    }

    /// A duration parameter (a range query's step, a query's timeout) in milliseconds: seconds
    /// (`15`, `0.5`) or a duration (`1m`), positive and at most Prometheus' longest; nil otherwise.
    public static func duration(_ text: String) -> Int64? {
        if let seconds = Double(text) {
            guard seconds.isFinite, seconds > 0, let milliseconds = Int64(exactly: (seconds * 1000).rounded()),
                milliseconds > 0, milliseconds <= Duration.prometheusMaximumMilliseconds
            else { return nil }
            return milliseconds
        }
        guard let duration = Duration(prometheus: text), duration > .zero else { return nil }
        return duration.inMilliseconds
    }

    public static func text(_ value: QueryValue, at time: Int64) -> String {
        let stamp = PrometheusNumber.formatTimestamp(time)
        switch value {
        case .scalar(let number): return "scalar: \(PrometheusNumber.format(number)) @[\(stamp)]\n"
        case .string(let text): return "string: \(text) @[\(stamp)]\n"
        case .vector(let elements):
            // The evaluation time, as promtool and the API give it (not the sample's own time).
            return elements.map { "\($0.labels) => \(PrometheusNumber.format($0.value)) @[\(stamp)]\n" }.joined()
        case .matrix(let series): return text(series.map(\.series))
        }
    }

    public static func text(_ series: [Series]) -> String {
        series.map { item in
            "\(item.labels) =>\n"
                + item.samples.map {
                    "\(PrometheusNumber.format($0.value)) @[\(PrometheusNumber.formatTimestamp($0.timestamp))]\n"
                }.joined()
        }.joined()
    }

    /// The answer's `data` as Prometheus' API writes it, and a line break (`ioc query --json`).
    public static func json(_ value: QueryValue, at time: Int64) -> String {
        PrometheusWire.QueryData.json(value, at: time) + "\n"
    }

    public static func json(_ series: [Series]) -> String { PrometheusWire.QueryData.json(series) + "\n" }

}

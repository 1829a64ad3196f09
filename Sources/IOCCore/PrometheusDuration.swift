/// Durations written the way Prometheus writes them: `15s`, `5m`, `1h30m`, `500ms`, `2d`, `1w`, `1y`.
extension Duration {
    /// The units in the order Prometheus requires them, with their length in milliseconds.
    private static let prometheusUnits: [(unit: String, milliseconds: Int64)] = [
        ("y", 365 * 24 * 3_600_000), ("w", 7 * 24 * 3_600_000), ("d", 24 * 3_600_000),
        ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
    ]

    /// The longest duration Prometheus takes (Go's `time.Duration`, Int64 nanoseconds: about 292
    /// years), in milliseconds. Anything that adds it to a storable timestamp stays far from overflow.
    public static let prometheusMaximumMilliseconds: Int64 = Int64.max / 1_000_000

    /// Parses a Prometheus duration; nil if the text is not one (units out of order, repeated,
    /// unknown, or no number) or it is longer than `prometheusMaximumMilliseconds`.
    public init?(prometheus text: String) {
        guard !text.isEmpty else { return nil }
        var rest = Substring(text)
        var total: Int64 = 0
        var nextUnit = 0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let number = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unitText = rest.hasPrefix("ms") ? "ms" : String(rest.prefix { $0.isLetter })
            guard let index = Duration.prometheusUnits.firstIndex(where: { $0.unit == unitText }),
                index >= nextUnit
            else { return nil }
            rest = rest.dropFirst(unitText.count)
            let (product, overflow) = number.multipliedReportingOverflow(
                by: Duration.prometheusUnits[index].milliseconds)
            guard !overflow else { return nil }
            let (sum, sumOverflow) = total.addingReportingOverflow(product)
            guard !sumOverflow, sum <= Duration.prometheusMaximumMilliseconds else { return nil }
            total = sum
            nextUnit = index + 1
        }
        self = .milliseconds(total)
    }

    /// Whole milliseconds, rounded toward zero; saturated at Int64's bounds rather than trapping.
    public var inMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, sumOverflow) = product.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return sumOverflow ? (product < 0 ? .min : .max) : sum
    }

    /// The duration in seconds as a floating-point number.
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// The shortest Prometheus spelling: `1h30m`, `500ms`, `0s`.
    public var prometheusString: String {
        var rest = inMilliseconds
        guard rest != 0 else { return "0s" }
        var text = rest < 0 ? "-" : ""
        rest = rest == .min ? .max : abs(rest)
        for (unit, length) in Duration.prometheusUnits where rest >= length {
            text += "\(rest / length)\(unit)"
            rest %= length
        }
        return text
    }
}

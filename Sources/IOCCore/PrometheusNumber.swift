/// Numbers as Prometheus prints them: `+Inf`, `-Inf`, `NaN`, integers without a decimal point.
public enum PrometheusNumber {
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// Milliseconds as seconds with three decimals.
    public static func formatTimestamp(_ milliseconds: Int64) -> String {
        let sign = milliseconds < 0 ? "-" : ""
        let magnitude = milliseconds.magnitude
        let fraction = String(magnitude % 1000)
        return "\(sign)\(magnitude / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }

    /// A number as Go's strconv.ParseFloat reads it, which Prometheus uses for sample values, `le`
    /// labels, the API's values and promqltest: decimal and hexadecimal floats, and `Inf`,
    /// `Infinity` and `NaN` in any case (infinities with a sign); nil for anything else.
    public static func parse(_ text: String) -> Double? {
        var body = Substring(text)
        var negative = false
        if let sign = body.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        switch body.lowercased() {
        case "inf", "infinity": return negative ? -.infinity : .infinity
        case "nan": return body.count == text.count ? .nan : nil
        default: break
        }
        guard let first = body.unicodeScalars.first, first == "." || ("0"..."9").contains(first) else { return nil }
        return Double(text)
    }
}

import Foundation

/// Prometheus' template functions for numbers people read: `humanize` (SI prefixes), `humanize1024`
/// (binary prefixes), `humanizePercentage`, `humanizeDuration` and `humanizeTimestamp`, with the same
/// output as Prometheus' Go code.
enum Humanize {
    static func format(_ function: String, _ value: Double) -> String {
        switch function {
        case "humanize": return si(value)
        case "humanize1024": return binary(value)
        case "humanizePercentage": return GoFormat.general(value * 100, precision: 4) + "%"
        case "humanizeDuration": return duration(value)
        default: return timestamp(value)
        }
    }

    /// 1234 → `1.234k`, 0.0012 → `1.2m`.
    static func si(_ value: Double) -> String {
        if value == 0 || value.isNaN || value.isInfinite { return GoFormat.general(value, precision: 4) }
        var scaled = value
        var prefix = ""
        if abs(scaled) >= 1 {
            for next in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
                if abs(scaled) < 1000 { break }
                prefix = next
                scaled /= 1000
            }
        } else {
            for next in ["m", "u", "n", "p", "f", "a", "z", "y"] {
                if abs(scaled) >= 1 { break }
                prefix = next
                scaled *= 1000
            }
        }
        return GoFormat.general(scaled, precision: 4) + prefix
    }

    /// 2048 → `2ki`.
    static func binary(_ value: Double) -> String {
        if abs(value) <= 1 || value.isNaN || value.isInfinite { return GoFormat.general(value, precision: 4) }
        var scaled = value
        var prefix = ""
        for next in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
            if abs(scaled) < 1024 { break }
            prefix = next
            scaled /= 1024
        }
        return GoFormat.general(scaled, precision: 4) + prefix
    }

    /// Seconds as `1d 2h 3m 4s`, `3m 20s`, `12.5s`, `250ms`.
    static func duration(_ value: Double) -> String {
        if value.isNaN || value.isInfinite { return GoFormat.general(value, precision: 4) }
        if value == 0 { return GoFormat.general(value, precision: 4) + "s" }
        if abs(value) >= 1 {
            let sign = value < 0 ? "-" : ""
            let magnitude = abs(value)
            // Clamped, not trapped: a feed may say -1e19 seconds.
            let total = magnitude < 9.2e18 ? Int64(magnitude) : Int64.max
            let seconds = total % 60
            let minutes = (total / 60) % 60
            let hours = (total / 3600) % 24
            let days = total / 86_400
            if days != 0 { return "\(sign)\(days)d \(hours)h \(minutes)m \(seconds)s" }
            if hours != 0 { return "\(sign)\(hours)h \(minutes)m \(seconds)s" }
            if minutes != 0 { return "\(sign)\(minutes)m \(seconds)s" }
            return sign + GoFormat.general(magnitude, precision: 4) + "s"
        }
        var scaled = value
        var prefix = ""
        for next in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if abs(scaled) >= 1 { break }
            prefix = next
            scaled *= 1000
        }
        return GoFormat.general(scaled, precision: 4) + prefix + "s"
    }

    /// Unix seconds as Go prints a UTC time: `2026-12-01 04:41:06.5 +0000 UTC`.
    static func timestamp(_ value: Double) -> String {
        // Beyond what time_t and Int64 nanoseconds hold (a feed's -1e19), the number as it is.
        if value.isNaN || value.isInfinite || abs(value) >= 9.2e15 { return GoFormat.general(value, precision: 4) }
        let seconds = value.rounded(.down)
        let nanoseconds = Int64(((value - seconds) * 1e9).rounded())
        var time = time_t(Int64(seconds))
        var parts = tm()
        gmtime_r(&time, &parts)
        var text = String(
            format: "%04d-%02d-%02d %02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        if nanoseconds > 0 {
            var fraction = String(format: "%09lld", nanoseconds)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        return text + " +0000 UTC"
    }

    /// `host:port` → `host` (IPv6 addresses keep their brackets off, as Go's SplitHostPort gives).
    static func stripPort(_ hostPort: String) -> String {
        if hostPort.hasPrefix("["), let close = hostPort.firstIndex(of: "]") {
            return String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
        }
        let colons = hostPort.filter { $0 == ":" }.count
        guard colons == 1, let colon = hostPort.lastIndex(of: ":") else { return hostPort }
        return String(hostPort[..<colon])
    }

    /// `host.example.org:9100` → `host:9100`; IP addresses are kept whole.
    static func stripDomain(_ hostPort: String) -> String {
        var host = hostPort
        var port = ""
        if let colon = hostPort.lastIndex(of: ":"), hostPort.filter({ $0 == ":" }).count == 1 {
            host = String(hostPort[..<colon])
            port = String(hostPort[colon...])
        }
        if host.split(separator: ".").allSatisfy({ Int($0) != nil }) || host.contains(":") { return hostPort }
        guard let dot = host.firstIndex(of: ".") else { return hostPort }
        return String(host[..<dot]) + port
    }
}

import IOCCore

/// Feeds at `/test/feed/NAME`: well-formed ones in each format, and the malformed ones a scraper must
/// survive (truncated lines, bad escapes, duplicate series, a million series, binary garbage).
enum FeedFixtures {
    static let prometheusType = "text/plain; version=0.0.4; charset=utf-8"
    static let openMetricsType = "application/openmetrics-text; version=1.0.0; charset=utf-8"

    static func response(_ name: String) -> SimulatedResponse? {
        switch name {
        case "prometheus":
            return SimulatedResponse(status: 200, contentType: prometheusType, body: .text(prometheus))
        case "openmetrics":
            return SimulatedResponse(status: 200, contentType: openMetricsType, body: .text(openMetrics))
        case "truncated":
            return SimulatedResponse(
                status: 200, contentType: prometheusType,
                body: .text("up_total{job=\"a\"} 1\nhalf_a_line{job=\"b\",inst"))
        case "bad-escape":
            return SimulatedResponse(status: 200, contentType: prometheusType, body: .text("m{path=\"C:\\q\"} 1\n"))
        case "hostile":
            // Label values that try to act on a terminal: clear the screen, retitle the window, move
            // the cursor. A dashboard must show them as plain text.
            return SimulatedResponse(
                status: 200, contentType: prometheusType,
                body: .text(
                    "probe_success{province=\"Evil\u{1B}[2J\u{1B}]2;pwned\u{07}Town\",service=\"feed\u{1B}[5;5H\"} 0\n")
            )
        case "duplicate":
            return SimulatedResponse(
                status: 200, contentType: prometheusType, body: .text("m{a=\"1\"} 1\nm{a=\"1\"} 2\n"))
        case "garbage":
            var bytes = ""
            var random = SplitMix64(seed: 42)
            for _ in 0..<4096 { bytes.unicodeScalars.append(Unicode.Scalar(UInt8(truncatingIfNeeded: random.next()))) }
            return SimulatedResponse(status: 200, contentType: prometheusType, body: .text(bytes))
        case "huge":
            // A million series, a thousand lines per chunk, made as they are sent.
            return SimulatedResponse(
                status: 200, contentType: prometheusType,
                body: .chunks(count: 1000) { chunk in
                    (0..<1000).map { "huge_series{id=\"\(chunk * 1000 + $0)\"} \($0)\n" }.joined()
                })
        default:
            return nil
        }
    }

    static let prometheus = """
        # HELP http_requests_total Requests served, by code.
        # TYPE http_requests_total counter
        http_requests_total{code="200",path="/dvc"} 1027
        http_requests_total{code="500",path="/dvc"} 3 1764400000000
        # HELP queue_length Dossiers waiting.
        # TYPE queue_length gauge
        queue_length{province="Huế",note="a \\"quoted\\" \\\\ path\\nline"} 42.5
        # HELP request_seconds Request latency.
        # TYPE request_seconds histogram
        request_seconds_bucket{le="0.1"} 10
        request_seconds_bucket{le="1"} 15
        request_seconds_bucket{le="+Inf"} 16
        request_seconds_sum 4.2
        request_seconds_count 16
        # HELP rpc_seconds RPC latency.
        # TYPE rpc_seconds summary
        rpc_seconds{quantile="0.5"} 0.05
        rpc_seconds{quantile="0.99"} 1.5
        rpc_seconds_sum 12.5
        rpc_seconds_count 100
        temperature_celsius -Inf
        not_a_number NaN

        """

    static let openMetrics = """
        # TYPE dossiers counter
        # HELP dossiers Dossiers received.
        # UNIT dossiers dossiers
        dossiers_total{province="Huế"} 17 1764400000.5
        dossiers_created{province="Huế"} 1751328000
        # TYPE build info
        build_info{version="1.2.3"} 1
        # TYPE latency_seconds histogram
        # UNIT latency_seconds seconds
        latency_seconds_bucket{le="0.5"} 3
        latency_seconds_bucket{le="+Inf"} 4
        latency_seconds_sum 1.5
        latency_seconds_count 4
        # EOF

        """
}

import Foundation
import IOCCore
import IOCHTTP

/// Something a probe's answer must satisfy. A failed `critical` expectation makes the probe fail;
/// a failed `warning` one leaves it up but degraded.
public struct Expectation: Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable, CaseIterable {
        case critical
        case warning
    }

    public enum Check: Sendable {
        /// Accepted status codes, as inclusive ranges (`200`, `2xx`, `200-299`).
        case status([ClosedRange<Int>])
        case bodyMatches(BodyPattern)
        case bodyDoesNotMatch(BodyPattern)
        case json(JSONCondition)
        case maxLatency(Duration)
        /// The earliest certificate of the chain must be valid for at least this many days.
        case minCertificateDays(Int)
    }

    public var check: Check
    public var severity: Severity

    public init(_ check: Check, severity: Severity = .critical) {
        self.check = check
        self.severity = severity
    }

    /// Whether a TCP probe, which has no HTTP answer, can check it: only latency and certificate days.
    public var appliesToTCP: Bool {
        switch check {
        case .maxLatency, .minCertificateDays: true
        case .status, .bodyMatches, .bodyDoesNotMatch, .json: false
        }
    }

    /// The failure reason this expectation reports, as in `probe_failed_due_to{reason=...}`.
    public var reason: String {
        switch check {
        case .status: "status"
        case .bodyMatches, .bodyDoesNotMatch: "body"
        case .json: "json"
        case .maxLatency: "latency"
        case .minCertificateDays: "certificate"
        }
    }

    public var description: String {
        switch check {
        case .status(let ranges):
            "status in "
                + ranges.map {
                    $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)"
                }
                .joined(separator: ", ")
        case .bodyMatches(let pattern): "body matches /\(pattern.pattern)/"
        case .bodyDoesNotMatch(let pattern): "body does not match /\(pattern.pattern)/"
        case .json(let condition): "json \(condition)"
        case .maxLatency(let limit): "latency at most \(limit.prometheusString)"
        case .minCertificateDays(let days): "certificate valid for at least \(days) days"
        }
    }

    /// Parses a status list entry: `200`, `2xx`, `200-299`.
    public static func statusRange(_ text: String) -> ClosedRange<Int>? {
        let lowered = text.lowercased()
        if lowered.count == 3, lowered.hasSuffix("xx"), let hundreds = Int(lowered.prefix(1)),
            (1...5).contains(hundreds)
        {
            return hundreds * 100...hundreds * 100 + 99
        }
        let parts = lowered.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 2, let low = Int(parts[0]), let high = Int(parts[1]), 100 <= low, low <= high, high <= 599 {
            return low...high
        }
        if let code = Int(lowered), (100...599).contains(code) { return code...code }
        return nil
    }

    /// Evaluates the expectation; nil when it holds, otherwise what was found.
    func failure(response: HTTPResponse?, body: String?, json: Any?, duration: Double, now: Int64) -> String? {
        switch check {
        case .status(let ranges):
            guard let status = response?.status else { return "no HTTP status" }
            return ranges.contains { $0.contains(status) } ? nil : "status \(status)"
        case .bodyMatches(let pattern):
            return pattern.matches(body ?? "") ? nil : "the body does not match /\(pattern.pattern)/"
        case .bodyDoesNotMatch(let pattern):
            return pattern.matches(body ?? "") ? "the body matches /\(pattern.pattern)/" : nil
        case .json(let condition):
            guard let json else { return "the body is not JSON" }
            let (holds, found) = condition.evaluate(json)
            return holds ? nil : "\(condition) does not hold: found \(found)"
        case .maxLatency(let limit):
            return duration <= limit.inSeconds
                ? nil : String(format: "took %.3f s, more than %@", duration, limit.prometheusString)
        case .minCertificateDays(let days):
            guard let earliest = response?.certificateExpiries.min() else { return "no certificate was seen" }
            let left = Double(earliest * 1000 - now) / 86_400_000
            return left >= Double(days) ? nil : String(format: "the certificate expires in %.1f days", left)
        }
    }
}

/// An unanchored regular expression searched for in a response body, in time linear in the body
/// (RE2): a hostile body cannot make a probe run for minutes.
public struct BodyPattern: Sendable {
    public let pattern: String
    private let expression: LinearRegex

    public init(_ pattern: String) throws {
        self.pattern = pattern
        expression = try LinearRegex(pattern)
    }

    public func matches(_ text: String) -> Bool { expression.matchesPart(of: text) }
}

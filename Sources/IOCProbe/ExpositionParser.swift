public import IOCCore

/// Parses the Prometheus text exposition format (0.0.4) and OpenMetrics text (1.0): samples with
/// labels, optional timestamps, and the `# HELP`, `# TYPE` and `# UNIT` metadata. Anything malformed
/// is an error with its line number; the parser stops at `sampleLimit` samples rather than growing.
public struct ExpositionParser {
    public enum Format: String, Sendable, CaseIterable {
        case prometheus
        case openMetrics = "openmetrics"
    }

    public typealias Metadata = MetricMetadata

    public struct Result: Sendable {
        public var samples: [LabeledSample]
        public var metadata: [String: Metadata]
    }

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    public let format: Format
    public let sampleLimit: Int
    /// A scrape has one sample per series; a history file (`ioc import`) has many, each series'
    /// timestamps increasing. With this set, a series may repeat with a later timestamp.
    public let history: Bool

    public init(format: Format, sampleLimit: Int = 50_000, history: Bool = false) {
        self.format = format
        self.sampleLimit = sampleLimit
        self.history = history
    }

    /// Parses `body`. Samples without a timestamp get `defaultTimestamp` (ms).
    public func parse(_ body: [UInt8], defaultTimestamp: Int64) throws(ParseError) -> Result {
        guard let text = String(validating: body, as: UTF8.self) else {
            throw ParseError(line: ExpositionParser.lineOfFirstInvalidByte(body), message: "not UTF-8 text")
        }
        var samples: [LabeledSample] = []
        var metadata: [String: Metadata] = [:]
        var seen = Set<Labels>()
        var lastTimestamp: [Labels: Int64] = [:]
        var sawEOF = false
        var lineNumber = 0
        // Split by scalars: as Characters, "\r\n" is one, and a feed with Windows line ends would
        // be a single line.
        for scalars in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let rawLine = Substring(scalars)
            let line = rawLine.unicodeScalars.last == "\r" ? Substring(rawLine.unicodeScalars.dropLast()) : rawLine
            if sawEOF {
                if line.isEmpty { continue }
                throw ParseError(line: lineNumber, message: "content after '# EOF'")
            }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            if line.hasPrefix("#") {
                if line == "# EOF" {
                    sawEOF = true
                    continue
                }
                try comment(line, into: &metadata, line: lineNumber)
                // Metadata counts against the limit too: a feed of a million HELP lines is no cheaper.
                guard samples.count + metadata.count <= sampleLimit else {
                    throw ParseError(
                        line: lineNumber,
                        message: "more than \(sampleLimit) samples and metadata entries (the feed's sample_limit)")
                }
                continue
            }
            guard samples.count + metadata.count < sampleLimit else {
                throw ParseError(
                    line: lineNumber, message: "more than \(sampleLimit) samples (the feed's sample_limit)")
            }
            var scanner = LineScanner(line: line, number: lineNumber)
            let labeled = try scanner.sample(openMetrics: format == .openMetrics, defaultTimestamp: defaultTimestamp)
            if history {
                if let previous = lastTimestamp[labeled.labels], previous >= labeled.sample.timestamp {
                    throw ParseError(
                        line: lineNumber,
                        message:
                            "the timestamps of \(labeled.labels) do not increase (\(previous) then \(labeled.sample.timestamp))"
                    )
                }
                lastTimestamp[labeled.labels] = labeled.sample.timestamp
            } else if !seen.insert(labeled.labels).inserted {
                throw ParseError(line: lineNumber, message: "duplicate series \(labeled.labels)")
            }
            samples.append(labeled)
        }
        if format == .openMetrics && !sawEOF {
            throw ParseError(line: lineNumber, message: "OpenMetrics text must end with '# EOF' (truncated?)")
        }
        return Result(samples: samples, metadata: metadata)
    }

    func comment(_ line: Substring, into metadata: inout [String: Metadata], line number: Int)
        throws(ParseError)
    {
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 3, ["HELP", "TYPE", "UNIT"].contains(parts[1]) else { return }  // a plain comment
        let name: String
        let rest: Substring
        let named = parts[2].drop { $0 == " " }
        guard !named.isEmpty else { return }  // `# HELP` alone: a plain comment
        if named.first == "\"" {
            // A quoted name (Prometheus 3), which may hold spaces.
            var scanner = LineScanner(line: named, number: number)
            (name, rest) = try scanner.quotedName()
        } else {
            let words = named.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            name = String(words[0])
            rest = words.count > 1 ? words[1] : ""
            guard Labels.isClassicMetricName(name) else {
                throw ParseError(line: number, message: "'\(name)' is not a metric name")
            }
        }
        let value = String(rest.drop { $0 == " " })
        switch parts[1] {
        case "HELP":
            metadata[name, default: Metadata()].help = LineScanner.unescapeHelp(value)
        case "TYPE":
            let known =
                format == .openMetrics
                ? ["counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset", "unknown"]
                : ["counter", "gauge", "histogram", "summary", "untyped"]
            guard known.contains(value) else {
                throw ParseError(line: number, message: "'\(value)' is not a metric type of this format")
            }
            metadata[name, default: Metadata()].type = value
        default:
            metadata[name, default: Metadata()].unit = value
        }
    }

    static func lineOfFirstInvalidByte(_ body: [UInt8]) -> Int {
        var line = 1
        var start = 0
        for (index, byte) in body.enumerated() where byte == UInt8(ascii: "\n") {
            if String(validating: body[start..<index], as: UTF8.self) == nil { return line }
            line += 1
            start = index + 1
        }
        return line
    }
}

/// Reads one sample line: `name{label="value",...} value [timestamp] [# exemplar]`.
struct LineScanner {
    private let characters: [Unicode.Scalar]
    private var position = 0
    let number: Int

    init(line: Substring, number: Int) {
        characters = Array(line.unicodeScalars)
        self.number = number
    }

    private var peek: Unicode.Scalar? { position < characters.count ? characters[position] : nil }

    private func error(_ message: String) -> ExpositionParser.ParseError {
        ExpositionParser.ParseError(line: number, message: message)
    }

    mutating func sample(openMetrics: Bool, defaultTimestamp: Int64) throws(ExpositionParser.ParseError)
        -> LabeledSample
    {
        // Prometheus 3 writes a name that is not of the classic form quoted, inside the braces:
        // `{"a.b",c="x"}`; label names may be quoted the same way.
        var name = identifier(metric: true)
        var pairs: [(String, String)] = []
        if peek == "{" {
            position += 1
            pairs = try labels(name: &name)
        }
        guard !name.isEmpty else { throw error("expected a metric name") }
        pairs.append((Labels.metricName, name))
        guard peek == " " || peek == "\t" else {
            throw error(peek == nil ? "no value after \(name) (truncated?)" : "expected a space before the value")
        }
        skipSpaces()
        let valueText = token()
        guard let value = LineScanner.number(valueText) else { throw error("'\(valueText)' is not a value") }
        skipSpaces()
        let timestamp = try timestamp(openMetrics: openMetrics, default: defaultTimestamp)
        // What follows '#' on a sample line is an OpenMetrics exemplar, which IOC does not keep.
        if let next = peek, next != "#" { throw error("unexpected text after the value") }
        return LabeledSample(labels: Labels(pairs), sample: Sample(timestamp: timestamp, value: value))
    }

    /// The labels between the braces, after the `{`, up to and with the `}`; a quoted name
    /// without a value is the metric's name (`{"a.b",c="x"}`), set in `name`.
    private mutating func labels(name: inout String) throws(ExpositionParser.ParseError) -> [(String, String)] {
        var pairs: [(String, String)] = []
        var names: Set<String> = [Labels.metricName]
        while true {
            skipSpaces()
            if peek == "}" {
                position += 1
                return pairs
            }
            var label: String
            if peek == "\"" {
                label = try quoted()
                skipSpaces()
                if peek != "=" {
                    guard name.isEmpty else { throw error("a second metric name \"\(label)\" in the labels") }
                    guard !label.isEmpty else { throw error("an empty metric name") }
                    name = label
                    if peek == "," {
                        position += 1
                    } else if peek != "}" {
                        throw error(
                            peek == nil
                                ? "the line ends inside the labels (truncated?)"
                                : "expected ',' or '}' after the name")
                    }
                    continue
                }
            } else {
                label = identifier(metric: false)
            }
            guard !label.isEmpty else {
                throw error(
                    peek == nil
                        ? "the line ends inside the labels (truncated?)"
                        : "expected a label name or '}' in \(name){...}")
            }
            guard names.insert(label).inserted else {
                throw error(
                    label == Labels.metricName
                        ? "a '__name__' label; the metric name goes before the labels"
                        : "label '\(label)' appears twice")
            }
            skipSpaces()
            guard peek == "=" else {
                throw error(
                    peek == nil
                        ? "the line ends inside the labels (truncated?)" : "expected '=' after label '\(label)'")
            }
            position += 1
            skipSpaces()
            pairs.append((label, try quoted()))
            skipSpaces()
            if peek == "," {
                position += 1
            } else if peek != "}" {
                throw error(
                    peek == nil
                        ? "the line ends inside the labels (truncated?)" : "expected ',' or '}' after a label")
            }
        }
    }

    /// The sample's timestamp if one follows the value (seconds in OpenMetrics, milliseconds in
    /// Prometheus' text format), else `default`.
    private mutating func timestamp(openMetrics: Bool, default defaultTimestamp: Int64)
        throws(ExpositionParser.ParseError) -> Int64
    {
        var timestamp = defaultTimestamp
        if let next = peek, next != "#" {
            let text = token()
            if openMetrics {
                // A finite double can still be far beyond Int64 milliseconds (1e300).
                guard let seconds = Double(text), seconds.isFinite,
                    let milliseconds = Int64(exactly: (seconds * 1000).rounded())
                else {
                    throw error("'\(text)' is not a timestamp in seconds")
                }
                timestamp = milliseconds
            } else {
                guard let milliseconds = Int64(text) else {
                    throw error("'\(text)' is not a timestamp in milliseconds")
                }
                timestamp = milliseconds
            }
            skipSpaces()
        }
        return timestamp
    }

    /// A quoted name at the start of `text`, and what follows it.
    mutating func quotedName() throws(ExpositionParser.ParseError) -> (String, Substring) {
        let name = try quoted()
        guard !name.isEmpty else { throw error("an empty metric name") }
        let rest = String.UnicodeScalarView(characters[position...])
        return (name, Substring(String(rest)))
    }

    private mutating func skipSpaces() {
        while peek == " " || peek == "\t" { position += 1 }
    }

    private mutating func token() -> String {
        var text = String.UnicodeScalarView()
        while let scalar = peek, scalar != " ", scalar != "\t" {
            text.append(scalar)
            position += 1
        }
        return String(text)
    }

    private mutating func identifier(metric: Bool) -> String {
        var text = String.UnicodeScalarView()
        while let scalar = peek, Labels.isClassicNameScalar(scalar, first: text.isEmpty, metric: metric) {
            text.append(scalar)
            position += 1
        }
        return String(text)
    }

    private mutating func quoted() throws(ExpositionParser.ParseError) -> String {
        guard peek == "\"" else { throw error("expected a quoted label value") }
        position += 1
        var text = String.UnicodeScalarView()
        while let scalar = peek {
            position += 1
            switch scalar {
            case "\"":
                return String(text)
            case "\\":
                guard let escaped = peek else { throw error("the line ends inside a label value (truncated?)") }
                position += 1
                switch escaped {
                case "\\": text.append("\\")
                case "\"": text.append("\"")
                case "n": text.append("\n")
                default: throw error("bad escape '\\\(escaped)' in a label value; only \\\\, \\\" and \\n are allowed")
                }
            default:
                text.append(scalar)
            }
        }
        throw error("the line ends inside a label value (truncated?)")
    }

    /// A sample value: a decimal or hexadecimal float, or NaN, +Inf, -Inf, as Prometheus reads them.
    static func number(_ text: String) -> Double? { PrometheusNumber.parse(text) }

    static func unescapeHelp(_ text: String) -> String {
        var out = ""
        var escaping = false
        for character in text {
            if escaping {
                out.append(character == "n" ? "\n" : character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                out.append(character)
            }
        }
        return out
    }
}

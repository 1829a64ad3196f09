package import IOCCore
import Foundation

/// Runs test scripts in Prometheus' promqltest format (`load`, `clear`, `eval instant at`,
/// `eval range from ... to ... step`, `eval_fail`, `eval_ordered`, expected series with the
/// `a+bxn` notation), so that the engine can be checked against files written for Prometheus.
public struct PromQLTest {
    /// A check that did not hold: the script's line and what went wrong.
    public struct Failure: Sendable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    public var engine: Engine

    public init(engine: Engine = Engine()) { self.engine = engine }

    /// Runs a script; an empty result means every eval held.
    public func run(_ script: String) -> [Failure] {
        let lines = script.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let source = MemorySeriesSource()
        var failures: [Failure] = []
        var index = 0
        func body(from start: Int) -> [(Int, String)] {
            var result: [(Int, String)] = []
            var next = start
            while next < lines.count {
                let line = lines[next]
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("#") {
                    next += 1
                    continue
                }
                guard !trimmed.isEmpty, line.first == " " || line.first == "\t" else { break }
                result.append((next + 1, trimmed))
                next += 1
            }
            return result
        }
        while index < lines.count {
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            let number = index + 1
            index += 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            let content = body(from: index)
            index += content.count
            // Skip the comments the body loop passed over.
            while index < lines.count, lines[index].trimmingCharacters(in: .whitespaces).hasPrefix("#") { index += 1 }
            do {
                if line.hasPrefix("load ") {
                    try load(line, content, into: source)
                } else if line == "clear" {
                    source.clear()
                } else if line.hasPrefix("eval") {
                    if let problem = try evaluate(line, content, source: source) {
                        failures.append(Failure(line: number, message: problem))
                    }
                } else {
                    failures.append(Failure(line: number, message: "unknown command: \(line)"))
                }
            } catch {
                failures.append(Failure(line: number, message: "\(error)"))
            }
        }
        return failures
    }

    struct ScriptError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    // MARK: load

    private func load(_ line: String, _ content: [(Int, String)], into source: MemorySeriesSource) throws {
        let step = try PromQLTest.duration(String(line.dropFirst("load ".count)).trimmingCharacters(in: .whitespaces))
        for (number, text) in content {
            let (labels, values) = try PromQLTest.seriesLine(text, line: number)
            var samples: [Sample] = []
            for (position, value) in values.enumerated() {
                guard let value else { continue }
                samples.append(Sample(timestamp: Int64(position) * step, value: value))
            }
            source.add(labels, samples)
        }
    }

    /// `metric{a="b"} 1 2+3x4 _ stale`: the labels and a value per step (nil where omitted).
    package static func seriesLine(_ text: String, line: Int) throws -> (Labels, [Double?]) {
        // The labels end at the closing brace, or at the first space when there are none.
        let labelsEnd: String.Index
        if let brace = text.firstIndex(of: "{") {
            var depth = 0
            var inString = false
            var previous: Character = " "
            var end = text.endIndex
            for index in text[brace...].indices {
                let character = text[index]
                if character == "\"" && previous != "\\" { inString.toggle() }
                if !inString && character == "{" { depth += 1 }
                if !inString && character == "}" {
                    depth -= 1
                    if depth == 0 {
                        end = text.index(after: index)
                        break
                    }
                }
                previous = character
            }
            labelsEnd = end
        } else {
            labelsEnd = text.firstIndex(of: " ") ?? text.endIndex
        }
        let labelText = String(text[..<labelsEnd])
        let labels = try PromQLTest.labels(labelText, line: line)
        var values: [Double?] = []
        for token in text[labelsEnd...].split(separator: " ") where !token.isEmpty {
            values += try PromQLTest.expand(String(token), line: line)
        }
        return (labels, values)
    }

    package static func labels(_ text: String, line: Int) throws -> Labels {
        if text == "{}" || text.isEmpty { return Labels() }
        let query: Query
        do {
            query = try Query(parsing: text)
        } catch {
            throw ScriptError("line \(line): bad series '\(text)': \(error)")
        }
        guard case .vector(let selector) = query.expression else {
            throw ScriptError("line \(line): bad series '\(text)'")
        }
        var pairs: [(String, String)] = []
        for matcher in selector.matchers {
            guard matcher.op == .equal else { throw ScriptError("line \(line): series labels must use '='") }
            pairs.append((matcher.name, matcher.value))
        }
        return Labels(pairs)
    }

    /// One value token: a number, `_`, `stale`, `axn`, `a+bxn`, `a-bxn`, `_xn`.
    static func expand(_ token: String, line: Int) throws -> [Double?] {
        if token == "_" { return [nil] }
        if token == "stale" { return [Sample.staleNaN] }
        if token.hasPrefix("_x"), let count = Int(token.dropFirst(2)) { return Array(repeating: nil, count: count) }
        if let x = token.lastIndex(of: "x"), let times = Int(token[token.index(after: x)...]) {
            let head = String(token[..<x])
            // a+b or a-b: the operator is the last sign that is not the first character or an exponent's.
            var split: String.Index?
            for index in head.indices.dropFirst() where head[index] == "+" || head[index] == "-" {
                let before = head[head.index(before: index)]
                if before != "e" && before != "E" { split = index }
            }
            if let split {
                guard let start = number(String(head[..<split])),
                    let increment = number(String(head[head.index(after: split)...]))
                else { throw ScriptError("line \(line): bad value '\(token)'") }
                let delta = head[split] == "-" ? -increment : increment
                return (0...times).map { start + Double($0) * delta }
            }
            guard let value = number(head) else { throw ScriptError("line \(line): bad value '\(token)'") }
            return Array(repeating: value, count: times + 1)
        }
        guard let value = number(token) else { throw ScriptError("line \(line): bad value '\(token)'") }
        return [value]
    }

    /// A number as promqltest writes them.
    static func number(_ text: String) -> Double? { PrometheusNumber.parse(text) }

    /// `5m`, `1h30m`, `0`, `10` (seconds).
    static func duration(_ text: String) throws -> Int64 {
        if let seconds = Double(text) {
            guard let milliseconds = Int64(exactly: (seconds * 1000).rounded(.towardZero)) else {
                throw ScriptError("bad duration '\(text)'")
            }
            return milliseconds
        }
        guard let tokens = try? Lexer.tokens(text), tokens.count == 2, case .duration(let milliseconds) = tokens[0].kind
        else { throw ScriptError("bad duration '\(text)'") }
        return milliseconds
    }

    // MARK: eval

    /// What an `eval` expects besides its result lines: the newer `expect` lines, and the older
    /// `expected_fail_*` ones.
    private struct Expectations {
        var lines: [(Int, String)]
        var ordered = false
        var fail = false
        var message: String?
        var pattern: String?

        init(_ content: [(Int, String)]) {
            var ordered = false
            var fail = false
            var message: String?
            var pattern: String?
            lines = content
            lines.removeAll { _, text in
                if text == "expect ordered" {
                    ordered = true
                    return true
                }
                if text.hasPrefix("expect fail") {
                    fail = true
                    if let range = text.range(of: "msg:") {
                        message = text[range.upperBound...].trimmingCharacters(in: .whitespaces)
                    }
                    if let range = text.range(of: "regex:") {
                        pattern = text[range.upperBound...].trimmingCharacters(in: .whitespaces)
                    }
                    return true
                }
                if text.hasPrefix("expected_fail_message ") {
                    message = String(text.dropFirst("expected_fail_message ".count))
                    return true
                }
                if text.hasPrefix("expected_fail_regexp ") {
                    pattern = String(text.dropFirst("expected_fail_regexp ".count))
                    return true
                }
                return text.hasPrefix("expect ")
            }
            (self.ordered, self.fail, self.message, self.pattern) = (ordered, fail, message, pattern)
        }
    }

    private func evaluate(_ line: String, _ content: [(Int, String)], source: MemorySeriesSource) throws -> String? {
        var words = line.split(separator: " ", maxSplits: 1).map(String.init)
        var command = words[0]
        var rest = words.count > 1 ? words[1] : ""
        var expectFail = command == "eval_fail"
        var ordered = command == "eval_ordered"
        guard ["eval", "eval_fail", "eval_ordered", "eval_warn", "eval_info"].contains(command) else {
            return "unknown command: \(command)"
        }
        let expectations = Expectations(content)
        let expected = expectations.lines
        expectFail = expectFail || expectations.fail
        ordered = ordered || expectations.ordered
        let (expectedMessage, expectedPattern) = (expectations.message, expectations.pattern)
        words = rest.split(separator: " ", maxSplits: 1).map(String.init)
        command = words.first ?? ""
        rest = words.count > 1 ? words[1] : ""
        let result: Result<QueryValue, any Error>
        var isRange = false
        var times: [Int64] = []
        if command == "instant" {
            // at <time> <expr>
            let parts = rest.split(separator: " ", maxSplits: 2).map(String.init)
            guard parts.count == 3, parts[0] == "at" else { return "expected 'eval instant at <time> <expr>'" }
            let time = try PromQLTest.duration(parts[1])
            result = Result { try engine.instant(try Query(parsing: parts[2]), at: time, source: source) }
        } else if command == "range" {
            // from <start> to <end> step <step> <expr>
            let parts = rest.split(separator: " ", maxSplits: 6).map(String.init)
            guard parts.count == 7, parts[0] == "from", parts[2] == "to", parts[4] == "step" else {
                return "expected 'eval range from <start> to <end> step <step> <expr>'"
            }
            let start = try PromQLTest.duration(parts[1])
            let end = try PromQLTest.duration(parts[3])
            let step = try PromQLTest.duration(parts[5])
            isRange = true
            times = Array(stride(from: start, through: end, by: Int(max(step, 1))))
            result = Result {
                .matrix(
                    try engine.range(try Query(parsing: parts[6]), start: start, end: end, step: step, source: source)
                        .map { RangeSeries(labels: $0.labels, samples: ArraySlice($0.samples)) })
            }
        } else {
            return "expected 'instant' or 'range' after \(words.first ?? "eval")"
        }
        switch result {
        case .failure(let error):
            guard expectFail else { return "unexpected error: \(error)" }
            let message = (error as? QueryError)?.message ?? "\(error)"
            if let expectedMessage, message != expectedMessage {
                return "expected the error '\(expectedMessage)', got '\(message)'"
            }
            if let expectedPattern, message.range(of: expectedPattern, options: .regularExpression) == nil {
                return "expected an error matching '\(expectedPattern)', got '\(message)'"
            }
            return nil
        case .success(let value):
            if expectFail { return "expected an error, got \(PromQLTest.describe(value))" }
            return try compare(value, expected, ordered: ordered, range: isRange, times: times)
        }
    }

    private func compare(_ value: QueryValue, _ expected: [(Int, String)], ordered: Bool, range: Bool, times: [Int64])
        throws -> String?
    {
        switch value {
        case .scalar(let actual):
            guard expected.count == 1, let wanted = PromQLTest.number(expected[0].1) else {
                return "expected \(expected.count) line(s), got the scalar \(PrometheusNumber.format(actual))"
            }
            return PromQLTest.almostEqual(wanted, actual)
                ? nil : "expected the scalar \(PrometheusNumber.format(wanted)), got \(PrometheusNumber.format(actual))"
        case .string(let actual):
            let wanted = expected.first?.1.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            return wanted == actual ? nil : "expected the string \(wanted ?? "nothing"), got \(actual)"
        case .vector(let elements):
            var wanted: [(Labels, Double)] = []
            for (line, text) in expected {
                let (labels, values) = try PromQLTest.seriesLine(text, line: line)
                guard values.count == 1, let value = values[0] else {
                    return "line \(line): an instant result takes one value per series"
                }
                wanted.append((labels, value))
            }
            guard wanted.count == elements.count else {
                return "expected \(wanted.count) series, got \(elements.count): \(PromQLTest.describe(value))"
            }
            for (position, (labels, number)) in wanted.enumerated() {
                let candidates = ordered ? [elements[position]] : elements.filter { $0.labels == labels }
                guard let actual = candidates.first, actual.labels == labels else {
                    return
                        "expected \(labels) \(ordered ? "at position \(position + 1) " : "")in \(PromQLTest.describe(value))"
                }
                guard PromQLTest.almostEqual(number, actual.value) else {
                    return
                        "\(labels): expected \(PrometheusNumber.format(number)), got \(PrometheusNumber.format(actual.value))"
                }
            }
            return nil
        case .matrix(let series):
            var wanted: [Labels: [Double?]] = [:]
            for (line, text) in expected {
                let (labels, values) = try PromQLTest.seriesLine(text, line: line)
                wanted[labels] = values
            }
            guard wanted.count == series.count else {
                return "expected \(wanted.count) series, got \(series.count): \(PromQLTest.describe(value))"
            }
            for item in series {
                guard let values = wanted[item.labels] else {
                    return "unexpected series \(item.labels) in \(PromQLTest.describe(value))"
                }
                // A range result has a value per step ('_' where none); an instant range vector lists
                // its samples.
                let actual: [Double?] =
                    range
                    ? times.map { time in item.samples.first { $0.timestamp == time }?.value }
                    : item.samples.map(\.value)
                let trimmed = range ? actual : actual
                guard trimmed.count >= values.count || !range else {
                    return "\(item.labels): expected \(values.count) points"
                }
                let padded = values + Array(repeating: nil, count: max(0, trimmed.count - values.count))
                guard padded.count == trimmed.count else {
                    return "\(item.labels): expected \(values.count) values, got \(trimmed.count)"
                }
                for (want, got) in zip(padded, trimmed) {
                    switch (want, got) {
                    case (nil, nil): continue
                    case (let a?, let b?) where PromQLTest.almostEqual(a, b): continue
                    default:
                        return
                            "\(item.labels): expected \(values.map { $0.map(PrometheusNumber.format) ?? "_" }), got \(trimmed.map { $0.map(PrometheusNumber.format) ?? "_" })"
                    }
                }
            }
            return nil
        }
    }

    /// promqltest's tolerance: equal, both NaN, or within a relative 1e-6.
    package static func almostEqual(_ a: Double, _ b: Double) -> Bool {
        if a.isNaN && b.isNaN { return true }
        if a == b { return true }
        let difference = abs(a - b)
        let sum = abs(a) + abs(b)
        if a == 0 || b == 0 || sum < Double.leastNormalMagnitude {
            return difference < 1e-6 * Double.leastNormalMagnitude
        }
        return difference / min(sum, Double.greatestFiniteMagnitude) < 1e-6
    }

    static func describe(_ value: QueryValue) -> String {
        switch value {
        case .scalar(let number): return "scalar \(PrometheusNumber.format(number))"
        case .string(let text): return "string \"\(text)\""
        case .vector(let elements):
            return "{" + elements.map { "\($0.labels) \(PrometheusNumber.format($0.value))" }.joined(separator: ", ")
                + "}"
        case .matrix(let series):
            return "{"
                + series.map {
                    "\($0.labels) [" + $0.samples.map { PrometheusNumber.format($0.value) }.joined(separator: " ") + "]"
                }
                .joined(separator: ", ") + "}"
        }
    }
}

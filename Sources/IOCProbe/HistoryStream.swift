public import IOCCore
import Glibc

/// An OpenMetrics history file (`ioc export`, `promtool`'s backfill format) read a block at a time,
/// as `ioc import` reads files of any size: the same rules as `ExpositionParser` with `history`
/// (timestamps increase in each series, `# EOF` last, nothing after it), without holding the file.
///
/// A history repeats each series' labels on every line; they are parsed once per series and found
/// again by their bytes, so that a line costs its value and timestamp.
public struct HistoryStream {
    public typealias ParseError = ExpositionParser.ParseError

    private let parser = ExpositionParser(format: .openMetrics, sampleLimit: .max, history: true)
    /// The bytes of a line not yet ended, carried to the next block.
    private var partial: [UInt8] = []
    private var lineNumber = 0
    private var sawEOF = false
    /// Each series' labels and latest timestamp; found by the bytes of its name and labels as
    /// written (`keys`), and by its labels (a series written two ways is still one series).
    private var entries: [(labels: Labels, last: Int64, key: [UInt8])] = []
    /// Entries by a 64-bit hash of the bytes of their name and labels as written (the bytes are
    /// compared too: two series whose bytes collide are read by the full parser).
    private var keys: [UInt64: Int] = [:]
    private var byLabels: [Labels: Int] = [:]
    /// The series of the previous sample line.
    private var lastIndex: Int?
    public private(set) var metadata: [String: MetricMetadata] = [:]
    /// What a sample without a timestamp gets.
    private let defaultTimestamp: Int64
    /// Timestamps a sample may have (ms), and why a new series is refused (nil: it is not).
    private let timestamps: ClosedRange<Int64>
    private let admit: (Labels) -> String?
    /// Series seen so far.
    public var seriesCount: Int { entries.count }

    /// At most this many series, and lines of at most this many bytes: a file is refused before it
    /// makes the reader hold more than that (a file without line ends, a series per line).
    private let maxSeries: Int
    public static let maxLineBytes = 16 << 20

    public init(
        defaultTimestamp: Int64, timestamps: ClosedRange<Int64> = Int64.min...Int64.max, maxSeries: Int = .max,
        admit: @escaping (Labels) -> String? = { _ in nil }
    ) {
        self.defaultTimestamp = defaultTimestamp
        self.timestamps = timestamps
        self.maxSeries = maxSeries
        self.admit = admit
    }

    /// Reads the complete lines of `block` (the rest waits for the next block) and appends their
    /// samples to `samples`.
    public mutating func feed(_ block: some Collection<UInt8>, into samples: inout [LabeledSample])
        throws(ParseError)
    {
        var bytes = partial
        bytes.append(contentsOf: block)
        guard let lastNewline = bytes.lastIndex(of: UInt8(ascii: "\n")) else {
            guard bytes.count <= Self.maxLineBytes else {
                throw ParseError(line: lineNumber + 1, message: "a line longer than \(Self.maxLineBytes >> 20) MiB")
            }
            partial = bytes
            return
        }
        partial = Array(bytes[(lastNewline + 1)...])
        try bytes.withUnsafeBufferPointer { buffer throws(ParseError) in
            var start = 0
            while start <= lastNewline {
                var end = start
                while buffer[end] != UInt8(ascii: "\n") { end += 1 }
                try line(UnsafeBufferPointer(rebasing: buffer[start..<end]), into: &samples)
                start = end + 1
            }
        }
    }

    /// The end of the file: the last line, and `# EOF` must have come.
    public mutating func finish(into samples: inout [LabeledSample]) throws(ParseError) {
        // The text after the last newline is a line, empty or not (as the whole-file parser counts).
        let last = partial
        partial = []
        try last.withUnsafeBufferPointer { buffer throws(ParseError) in try line(buffer, into: &samples) }
        guard sawEOF else {
            throw ParseError(line: lineNumber, message: "OpenMetrics text must end with '# EOF' (truncated?)")
        }
    }

    private mutating func line(_ raw: UnsafeBufferPointer<UInt8>, into samples: inout [LabeledSample])
        throws(ParseError)
    {
        lineNumber += 1
        var bytes = raw
        if let last = bytes.last, last == UInt8(ascii: "\r") { bytes = UnsafeBufferPointer(rebasing: bytes.dropLast()) }
        if sawEOF {
            if bytes.isEmpty { return }
            throw ParseError(line: lineNumber, message: "content after '# EOF'")
        }
        if bytes.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { return }
        if let fast = fastSample(bytes) {
            samples.append(fast)
            return
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ParseError(line: lineNumber, message: "not UTF-8 text")
        }
        let line = Substring(text)
        if line.hasPrefix("#") {
            if line == "# EOF" {
                sawEOF = true
            } else {
                try parser.comment(line, into: &metadata, line: lineNumber)
            }
            return
        }
        var scanner = LineScanner(line: line, number: lineNumber)
        let labeled = try scanner.sample(openMetrics: true, defaultTimestamp: defaultTimestamp)
        try accept(labeled, key: Self.seriesPart(bytes).map { Array($0) })
        samples.append(labeled)
    }

    /// A sample line whose series was seen before, read from its bytes; nil for anything else
    /// (comments, a new series, anything unusual), which the full parser then reads.
    private mutating func fastSample(_ bytes: UnsafeBufferPointer<UInt8>) -> LabeledSample? {
        guard let first = bytes.first, first != UInt8(ascii: "#") else { return nil }
        let index: Int
        let length: Int
        // A history writes each series' samples one after the other: most lines begin with the
        // previous line's series.
        if let last = lastIndex, Self.begins(bytes, with: entries[last].key) {
            (index, length) = (last, entries[last].key.count)
        } else {
            guard let series = Self.seriesPart(bytes), let found = keys[Self.hash(series)],
                Self.begins(bytes, with: entries[found].key), entries[found].key.count == series.count
            else { return nil }
            (index, length) = (found, series.count)
        }
        let known = entries[index]
        var position = length
        func token() -> Substring? {
            guard position < bytes.count, bytes[position] == UInt8(ascii: " ") else { return nil }
            position += 1
            let start = position
            while position < bytes.count, bytes[position] != UInt8(ascii: " ") { position += 1 }
            guard position > start else { return nil }
            return Substring(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        }
        guard let valueText = token(), let timeText = token(), position == bytes.count,
            let value = PrometheusNumber.parse(String(valueText)),
            let seconds = Double(timeText), seconds.isFinite,
            let time = Int64(exactly: (seconds * 1000).rounded()), time > known.last, timestamps.contains(time)
        else { return nil }
        entries[index].last = time
        lastIndex = index
        return LabeledSample(labels: known.labels, sample: Sample(timestamp: time, value: value))
    }

    private mutating func accept(_ labeled: LabeledSample, key: [UInt8]?) throws(ParseError) {
        guard timestamps.contains(labeled.sample.timestamp) else {
            throw ParseError(
                line: lineNumber,
                message: "\(labeled.labels) has the time \(labeled.sample.timestamp) ms, outside what a store holds")
        }
        guard let index = byLabels[labeled.labels] else {
            guard entries.count < maxSeries else {
                throw ParseError(line: lineNumber, message: "more than \(maxSeries) series, the store's limit")
            }
            if let refusal = admit(labeled.labels) {
                throw ParseError(line: lineNumber, message: "\(labeled.labels) is refused (\(refusal))")
            }
            byLabels[labeled.labels] = entries.count
            if let key { keys[Self.hash(key)] = entries.count }
            entries.append((labeled.labels, labeled.sample.timestamp, key ?? []))
            lastIndex = key == nil ? nil : entries.count - 1
            return
        }
        guard entries[index].last < labeled.sample.timestamp else {
            throw ParseError(
                line: lineNumber,
                message:
                    "the timestamps of \(labeled.labels) do not increase (\(entries[index].last) then \(labeled.sample.timestamp))"
            )
        }
        entries[index].last = labeled.sample.timestamp
        if let key {
            keys[Self.hash(key)] = index
            entries[index].key = key
            lastIndex = index
        }
    }

    /// Whether `bytes` begins with `key` followed by a space (the end of the series' part).
    static func begins(_ bytes: UnsafeBufferPointer<UInt8>, with key: [UInt8]) -> Bool {
        guard !key.isEmpty, bytes.count > key.count, bytes[key.count] == UInt8(ascii: " "),
            let base = bytes.baseAddress
        else { return false }
        return key.withUnsafeBufferPointer { other in
            other.baseAddress.map { memcmp(base, $0, key.count) == 0 } ?? false
        }
    }

    /// A 64-bit hash of bytes, eight at a time (the standard library's hasher takes an array of
    /// bytes one at a time, which was a third of the import).
    static func hash(_ bytes: some Collection<UInt8>) -> UInt64 {
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        var word: UInt64 = 0
        var filled = 0
        func mix(_ value: UInt64) {
            hash = (hash ^ value) &* 0xBF58_476D_1CE4_E5B9
            hash ^= hash >> 31
        }
        for byte in bytes {
            word |= UInt64(byte) << (8 * filled)
            filled += 1
            if filled == 8 {
                mix(word)
                word = 0
                filled = 0
            }
        }
        if filled > 0 { mix(word) }
        return hash ^ (hash >> 29)
    }

    /// The bytes of a sample line's name and labels: up to the `}` that closes the labels (outside
    /// quotes), or the first space when there are none; nil when the line does not have that shape.
    static func seriesPart(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        var index = 0
        var quoted = false
        var escaped = false
        var braces = false
        while index < bytes.count {
            let byte = bytes[index]
            if quoted {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    quoted = false
                }
            } else if byte == UInt8(ascii: "\"") {
                guard braces else { return nil }
                quoted = true
            } else if byte == UInt8(ascii: "{") {
                braces = true
            } else if byte == UInt8(ascii: "}") {
                return braces ? UnsafeBufferPointer(rebasing: bytes[0...index]) : nil
            } else if byte == UInt8(ascii: " ") && !braces {
                return index > 0 ? UnsafeBufferPointer(rebasing: bytes[0..<index]) : nil
            }
            index += 1
        }
        return nil
    }
}

public import IOCCore

/// JSON written straight into a buffer of UTF-8: the API's answers of many series, where building
/// a string per point and joining them took four fifths of a range query's time. Writes exactly
/// what `PrometheusWire.json` and `PrometheusNumber` write (tests compare the two).
public struct JSONBytes: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// Makes room for about `count` more bytes at once (an answer of megabytes grown by doubling
    /// copied itself about once more on the way), up to 64 MB: an estimate beyond that, for an answer
    /// near the engine's limit of samples, is left to grow as it is written.
    public mutating func reserve(_ count: Int) {
        bytes.reserveCapacity(bytes.count + min(max(0, count), 64 << 20))
    }

    /// The text written so far.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Text that needs no escaping: the JSON's own punctuation and keys.
    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    public mutating func raw(_ byte: UInt8) { bytes.append(byte) }

    /// A JSON string: quotes and backslashes escaped, `\n`, `\r`, `\t`, and the other characters
    /// below U+0020 as `\u00XX`.
    public mutating func string(_ text: String) {
        var text = text
        bytes.append(UInt8(ascii: "\""))
        text.withUTF8 { utf8 in
            var clean = 0
            for (position, byte) in utf8.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean..<position]))
                clean = position + 1
                switch byte {
                case 0x22: append("\\\"")
                case 0x5C: append("\\\\")
                case 0x0A: append("\\n")
                case 0x0D: append("\\r")
                case 0x09: append("\\t")
                default:
                    append("\\u00")
                    bytes.append(JSONBytes.hex[Int(byte >> 4)])
                    bytes.append(JSONBytes.hex[Int(byte & 0xF)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func append(_ text: StaticString) { raw(text) }

    private static let hex = Array("0123456789abcdef".utf8)

    /// A label set as an object, in the set's order.
    public mutating func labels(_ labels: Labels) {
        raw(UInt8(ascii: "{"))
        for (position, pair) in labels.pairs.enumerated() {
            if position > 0 { raw(UInt8(ascii: ",")) }
            string(pair.name)
            raw(UInt8(ascii: ":"))
            string(pair.value)
        }
        raw(UInt8(ascii: "}"))
    }

    /// `[1795046400.123,"0.25"]`: a time in seconds (`timestamp`), and a value as text. A range
    /// query's answer is mostly these: each is put together in a small buffer on the stack and
    /// appended in one copy (appending its pieces one by one cost more than the digits): the time,
    /// taken from `times` (every series of a range answer has the same steps), and what precedes
    /// the value backwards before `middle`, the value and what closes the point forwards from there.
    public mutating func point(_ time: Int64, _ value: Double) {
        let time = times.text(of: time)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 96) { buffer in
            let middle = 40
            var start = middle - 2
            buffer[start] = UInt8(ascii: ",")
            buffer[start + 1] = UInt8(ascii: "\"")
            times.copy(time, endingAt: start, in: buffer)
            start -= time.count + 1
            buffer[start] = UInt8(ascii: "[")
            let end = JSONBytes.value(value, from: middle, in: buffer)
            buffer[end] = UInt8(ascii: "\"")
            buffer[end + 1] = UInt8(ascii: "]")
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<end + 2]))
        }
    }

    /// Writes `value` as `PrometheusNumber.format` writes it into `buffer` from `start`; returns
    /// where it ends. A whole number's digits are counted and written backwards to end there; any
    /// other value's shortest digits, as `description` gives them, are copied in as the standard
    /// library writes them (without the string `description` makes). At most 24 bytes
    /// (`-2.2250738585072014e-308`): the buffer's room is fixed by the type, not by the value.
    private static func value(_ value: Double, from start: Int, in buffer: UnsafeMutableBufferPointer<UInt8>)
        -> Int
    {
        if isWhole(value) {
            let whole = Int64(value)
            var length = whole < 0 ? 2 : 1
            var rest = whole.magnitude
            while rest >= 10 {
                rest /= 10
                length += 1
            }
            _ = signed(whole, endingAt: start + length, in: buffer)
            return start + length
        }
        var text = ValueText(buffer: buffer, position: start)
        if value.isNaN {
            text.write("NaN")
        } else if value.isInfinite {
            text.write(value > 0 ? "+Inf" : "-Inf")
        } else {
            value.write(to: &text)
        }
        return text.position
    }

    /// Takes the standard library's text of a number into a buffer on the stack.
    private struct ValueText: TextOutputStream {
        let buffer: UnsafeMutableBufferPointer<UInt8>
        var position: Int

        mutating func write(_ string: String) {
            var string = string
            string.withUTF8 { _writeASCII($0) }
        }

        mutating func _writeASCII(_ text: UnsafeBufferPointer<UInt8>) {
            precondition(position + text.count <= buffer.count - 2, "a number's text is at most 24 bytes")
            guard let source = text.baseAddress, let base = buffer.baseAddress else { return }
            (base + position).update(from: source, count: text.count)
            position += text.count
        }
    }

    /// Whether `PrometheusNumber.format` writes `value` as a whole number.
    private static func isWhole(_ value: Double) -> Bool {
        value.isFinite && value == value.rounded() && abs(value) < 1e15
    }

    /// Writes `milliseconds` as Prometheus' API writes a time into `buffer`, ending before `end`:
    /// whole seconds alone (`1795046400`), other times with three decimals (`1795046400.120`);
    /// returns where the text starts. A range answer at whole-second steps is a tenth shorter.
    static func timestamp(
        _ milliseconds: Int64, endingAt end: Int, in buffer: UnsafeMutableBufferPointer<UInt8>
    )
        -> Int
    {
        let magnitude = milliseconds.magnitude
        var position = end
        if magnitude % 1000 != 0 {
            position = digits(magnitude % 1000 + 1000, endingAt: end, in: buffer)
            // The fraction's three digits came after a 1 that makes them three: a point over it.
            buffer[position] = UInt8(ascii: ".")
        }
        position = digits(magnitude / 1000, endingAt: position, in: buffer)
        return milliseconds < 0 ? sign(endingAt: position, in: buffer) : position
    }

    /// Writes `value`'s digits, and its minus sign, into `buffer` ending before `end`.
    private static func signed(_ value: Int64, endingAt end: Int, in buffer: UnsafeMutableBufferPointer<UInt8>)
        -> Int
    {
        let position = digits(value.magnitude, endingAt: end, in: buffer)
        return value < 0 ? sign(endingAt: position, in: buffer) : position
    }

    private static func sign(endingAt end: Int, in buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        buffer[end - 1] = UInt8(ascii: "-")
        return end - 1
    }

    /// Writes the decimal digits of `value` into `buffer` so that they end before `end`; returns
    /// where they start.
    private static func digits(_ value: UInt64, endingAt end: Int, in buffer: UnsafeMutableBufferPointer<UInt8>)
        -> Int
    {
        var rest = value
        var position = end
        repeat {
            position -= 1
            buffer[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        } while rest > 0
        return position
    }

    /// Milliseconds as seconds, as Prometheus' API writes them: `1795046400`, `1795046400.120`.
    public mutating func timestamp(_ milliseconds: Int64) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            let start = JSONBytes.timestamp(milliseconds, endingAt: buffer.count, in: buffer)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start...]))
        }
    }

    private var times = TimeTexts()
}

/// The texts of the times points were lately written at, in a table of 256 slots by the time's
/// hash: a range query's answer writes the same steps' times for every series, and working their
/// digits out again for each point was a twentieth of such a query.
private struct TimeTexts: Sendable {
    private static let slots = 256
    /// Room for the longest: `-9223372036854775.808`.
    private static let width = 24
    private var keys: [Int64] = []
    private var lengths: [UInt8] = []
    private var texts: [UInt8] = []

    /// Where `time`'s text is, written there first if it is not.
    mutating func text(of time: Int64) -> Range<Int> {
        if keys.isEmpty {
            keys = Array(repeating: 0, count: Self.slots)
            lengths = Array(repeating: 0, count: Self.slots)
            texts = Array(repeating: 0, count: Self.slots * Self.width)
        }
        let slot = Int(truncatingIfNeeded: (UInt64(bitPattern: time) &* 0x9E37_79B9_7F4A_7C15) >> 56)
        let start = slot * Self.width
        if lengths[slot] == 0 || keys[slot] != time {
            texts.withUnsafeMutableBufferPointer { texts in
                let slotBuffer = UnsafeMutableBufferPointer(rebasing: texts[start..<start + Self.width])
                let first = JSONBytes.timestamp(time, endingAt: Self.width, in: slotBuffer)
                // Moved to the slot's start (the raw copy may overlap, as memmove's).
                UnsafeMutableRawBufferPointer(slotBuffer).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(slotBuffer)[first...]))
                lengths[slot] = UInt8(Self.width - first)
            }
            keys[slot] = time
        }
        return start..<start + Int(lengths[slot])
    }

    /// The text at `range` (from `text(of:)`), copied into `buffer` to end before `end`.
    func copy(_ range: Range<Int>, endingAt end: Int, in buffer: UnsafeMutableBufferPointer<UInt8>) {
        texts.withUnsafeBytes { texts in
            UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[(end - range.count)..<end]))
                .copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: texts[range]))
        }
    }
}

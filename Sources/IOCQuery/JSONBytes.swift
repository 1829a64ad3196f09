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

    /// Writes `value` as Prometheus' API writes a sample's value into `buffer` from `start`; returns
    /// where it ends: `NaN`, `+Inf`, `-Inf`, else Go's `strconv.AppendFloat` with format 'f' (fixed,
    /// `0.000001`, `999000000000000000000`) from 1e-6 up to 1e21 and 'e' (`1e-07`, `1e+21`) beyond,
    /// as its `marshalPointJSON` chooses. A whole number's digits are counted and written backwards
    /// to end there; any other value's shortest digits come from the standard library (the digits Go
    /// picks) through the buffer's last 26 bytes. At most 25 bytes (`-0.0000012345678901234567`):
    /// the buffer's room is fixed by the type, not by the value.
    private static func value(_ value: Double, from start: Int, in buffer: UnsafeMutableBufferPointer<UInt8>)
        -> Int
    {
        if isWhole(value) {
            let whole = Int64(value)
            var length = whole < 0 || (whole == 0 && value.sign == .minus) ? 2 : 1
            var rest = whole.magnitude
            while rest >= 10 {
                rest /= 10
                length += 1
            }
            _ = signed(whole, endingAt: start + length, in: buffer)
            if length == 2 && whole == 0 { buffer[start] = UInt8(ascii: "-") }
            return start + length
        }
        if value.isNaN || value.isInfinite {
            var text = ValueText(buffer: buffer, position: start)
            text.write(value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf"))
            return text.position
        }
        let magnitude = value.magnitude
        return goFloat(
            value, scientific: magnitude < 1e-6 || magnitude >= 1e21, from: start, scratch: buffer.count - 26,
            in: buffer)
    }

    /// The shortest digits of finite, nonzero `value`, from the standard library's text written at
    /// `scratch` and moved together there without sign, point or exponent: they lie in
    /// `first..<last`, no zero at either end, and the value is 0.DIGITS × 10^exponent.
    private static func shortestDigits(_ value: Double, at scratch: Int, in buffer: UnsafeMutableBufferPointer<UInt8>)
        -> (negative: Bool, first: Int, last: Int, exponent: Int)
    {
        var text = ValueText(buffer: buffer, position: scratch)
        value.write(to: &text)
        let end = text.position
        var read = scratch
        let negative = buffer[read] == UInt8(ascii: "-")
        if negative { read += 1 }
        var count = 0
        var point: Int?
        while read < end, buffer[read] != UInt8(ascii: "e") {
            if buffer[read] == UInt8(ascii: ".") {
                point = count
            } else {
                buffer[scratch + count] = buffer[read]
                count += 1
            }
            read += 1
        }
        var exponent = point ?? count
        if read < end {
            read += 1
            let minus = buffer[read] == UInt8(ascii: "-")
            if minus || buffer[read] == UInt8(ascii: "+") { read += 1 }
            var power = 0
            while read < end {
                power = power * 10 + Int(buffer[read] &- UInt8(ascii: "0"))
                read += 1
            }
            exponent += minus ? -power : power
        }
        var first = scratch
        var last = scratch + count
        while first < last - 1, buffer[first] == UInt8(ascii: "0") {
            first += 1
            exponent -= 1
        }
        while last > first + 1, buffer[last - 1] == UInt8(ascii: "0") { last -= 1 }
        return (negative, first, last, exponent)
    }

    /// `value` as Go's `strconv.FormatFloat(value, 'e', -1, 64)` writes it (`1e+00`, `2.5e-07`),
    /// as Prometheus writes an alert's value in `/api/v1/alerts` and `/api/v1/rules`.
    public static func scientific(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == 0 { return value.sign == .minus ? "-0e+00" : "0e+00" }
        // At most 24 bytes (`-1.7976931348623157e+308`), then the 26 of the scratch.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
            let end = goFloat(value, scientific: true, from: 0, scratch: 38, in: buffer)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[..<end]), as: UTF8.self)
        }
    }

    /// Writes finite, nonzero `value` as Go's `strconv.AppendFloat(value, 'f' or 'e', -1, 64)`
    /// writes it: the shortest digits that read back as `value` (the standard library's `description`
    /// picks the same), fixed or, if `scientific`, as `d.ddde±XX`. The standard library's text goes
    /// to `scratch` (26 bytes, after where the result can reach); returns where the result ends.
    static func goFloat(
        _ value: Double, scientific: Bool, from start: Int, scratch: Int, in buffer: UnsafeMutableBufferPointer<UInt8>
    ) -> Int {
        let (negative, first, last, exponent) = shortestDigits(value, at: scratch, in: buffer)
        let digits = last - first
        var position = start
        func put(_ byte: UInt8) {
            buffer[position] = byte
            position += 1
        }
        func put(digitsFrom from: Int, to upper: Int) {
            for index in from..<upper { put(buffer[index]) }
        }
        if negative { put(UInt8(ascii: "-")) }
        if scientific {
            put(buffer[first])
            if digits > 1 {
                put(UInt8(ascii: "."))
                put(digitsFrom: first + 1, to: last)
            }
            put(UInt8(ascii: "e"))
            let power = exponent - 1
            put(UInt8(ascii: power < 0 ? "-" : "+"))
            // Two digits at least (`e-07`), three at most (`e-324`).
            let magnitude = UInt8(truncatingIfNeeded: power.magnitude / 10)
            if magnitude >= 10 { put(UInt8(ascii: "0") + magnitude / 10) }
            put(UInt8(ascii: "0") + magnitude % 10)
            put(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: power.magnitude % 10))
        } else if exponent <= 0 {
            put(UInt8(ascii: "0"))
            put(UInt8(ascii: "."))
            for _ in 0..<(-exponent) { put(UInt8(ascii: "0")) }
            put(digitsFrom: first, to: last)
        } else if exponent >= digits {
            put(digitsFrom: first, to: last)
            for _ in 0..<(exponent - digits) { put(UInt8(ascii: "0")) }
        } else {
            put(digitsFrom: first, to: first + exponent)
            put(UInt8(ascii: "."))
            put(digitsFrom: first + exponent, to: last)
        }
        return position
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

    /// A scalar's `[time, "value"]` as Prometheus writes it (its `Scalar.MarshalJSON`, not the
    /// points of a vector): the time as `floatTime` writes it, the value fixed whatever its size
    /// (`0.0000001`, a number of 1e300 in full).
    public mutating func scalar(_ time: Int64, _ value: Double) {
        raw("[")
        floatTime(time)
        raw(",\"")
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 400) { buffer in
            // The standard library's text at 0, what is written from 32: at most 1 + 2 + 323 + 17.
            let end =
                value.isFinite && value != 0
                ? JSONBytes.goFloat(value, scientific: false, from: 32, scratch: 0, in: buffer)
                : JSONBytes.value(value, from: 32, in: buffer)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[32..<end]))
        }
        raw("\"]")
    }

    /// `value` as Go's `strconv.FormatFloat(value, 'f' or 'e', -1, 64)`: `count_values`' label
    /// (fixed at any size) and a number in an error message (`1e+20`).
    static func goText(_ value: Double, scientific: Bool) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 400) { buffer in
            let end =
                value.isFinite && value != 0
                ? goFloat(value, scientific: scientific, from: 32, scratch: 0, in: buffer)
                : JSONBytes.value(value, from: 32, in: buffer)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[32..<end]), as: UTF8.self)
        }
    }

    /// Milliseconds as seconds, as Go's JSON writes a float (`1795046400`, `1795046400.5`): how
    /// Prometheus writes the time of a scalar or string answer, where a vector's or matrix's points
    /// have three decimals.
    public mutating func floatTime(_ milliseconds: Int64) {
        guard milliseconds % 1000 != 0 else {
            timestamp(milliseconds)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
            let end = JSONBytes.goFloat(
                Double(milliseconds) / 1000, scientific: false, from: 32, scratch: 0, in: buffer)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[32..<end]))
        }
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

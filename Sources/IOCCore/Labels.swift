/// A set of label pairs identifying a series, kept sorted by name so that equal sets compare and
/// hash equal. The metric name is the label `__name__`, as in Prometheus.
public struct Labels: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The label that carries the metric name.
    public static let metricName = "__name__"

    /// The pairs, sorted by name, names unique, no empty values (an empty value means "absent").
    public private(set) var pairs: [(name: String, value: String)]

    public init() { pairs = [] }

    /// Builds a label set; later pairs win over earlier ones with the same name, empty values are dropped.
    public init(_ pairs: [(String, String)]) {
        // In name order, and of one name the last given (a stable order: equal names keep theirs).
        let order = pairs.indices.sorted { a, b in
            let names = ExactText.order(pairs[a].0, pairs[b].0)
            return names != 0 ? names < 0 : a < b
        }
        var sorted: [(name: String, value: String)] = []
        sorted.reserveCapacity(pairs.count)
        for index in order {
            if let last = sorted.last, ExactText.equal(last.name, pairs[index].0) { sorted.removeLast() }
            sorted.append((pairs[index].0, pairs[index].1))
        }
        self.pairs = sorted.filter { !$0.value.isEmpty }
    }

    public init(_ dictionary: [String: String]) {
        self.init(dictionary.map { ($0.key, $0.value) })
    }

    /// The metric name, or nil for a label set without one.
    public var metric: String? { metricNameIndex.map { pairs[$0].value } }

    /// Where the metric name's pair is, if there is one. Names sort by their bytes, so `__name__`
    /// comes before every lowercase name and is nearly always first: the first pair is compared
    /// once before any search (the engine asks this of every element it drops the name from).
    private var metricNameIndex: Int? {
        guard let first = pairs.first else { return nil }
        let order = ExactText.order(first.name, Labels.metricName)
        if order == 0 { return 0 }
        return order > 0 ? nil : position(of: Labels.metricName)
    }

    public subscript(name: String) -> String? {
        get { position(of: name).map { pairs[$0].value } }
        set {
            let index = insertionIndex(of: name)
            let present = index < pairs.count && ExactText.equal(pairs[index].name, name)
            switch (newValue, present) {
            case (let value?, true) where !value.isEmpty: pairs[index].value = value
            case (let value?, false) where !value.isEmpty: pairs.insert((name, value), at: index)
            case (_, true): pairs.remove(at: index)
            default: break
            }
        }
    }

    /// Where the pair named `name` is, if there is one.
    private func position(of name: String) -> Int? {
        let index = insertionIndex(of: name)
        return index < pairs.count && ExactText.equal(pairs[index].name, name) ? index : nil
    }

    /// Where `name` is or would be inserted in the sorted pairs.
    private func insertionIndex(of name: String) -> Int {
        var low = 0
        var high = pairs.count
        while low < high {
            let mid = (low + high) / 2
            if ExactText.less(pairs[mid].name, name) { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// A copy with the metric name set (one binary-search insertion, no re-sorting).
    public func withMetricName(_ name: String) -> Labels {
        var copy = self
        copy[Labels.metricName] = name
        return copy
    }

    /// A copy with `other`'s pairs added, replacing pairs of the same name.
    public func merging(_ other: Labels) -> Labels {
        Labels(pairs + other.pairs)
    }

    /// A copy without the metric name, as Prometheus drops it from the result of most functions;
    /// the same storage when there is none to drop.
    public func droppingMetricName() -> Labels {
        guard let index = metricNameIndex else { return self }
        var copy = Labels()
        copy.pairs.reserveCapacity(pairs.count - 1)
        copy.pairs += pairs[..<index]
        copy.pairs += pairs[(index + 1)...]
        return copy
    }

    /// A copy with `changes` (sorted by name, names unique) put in, in one pass: each replaces the
    /// pair of its name, and an empty value removes it.
    public func applying(_ changes: [(name: String, value: String)]) -> Labels {
        var result = Labels()
        result.pairs.reserveCapacity(pairs.count + changes.count)
        var (i, j) = (0, 0)
        while i < pairs.count || j < changes.count {
            if j == changes.count || (i < pairs.count && ExactText.less(pairs[i].name, changes[j].name)) {
                result.pairs.append(pairs[i])
                i += 1
                continue
            }
            if i < pairs.count && ExactText.equal(pairs[i].name, changes[j].name) { i += 1 }
            if !changes[j].value.isEmpty { result.pairs.append(changes[j]) }
            j += 1
        }
        return result
    }

    /// The pairs whose names `keep` accepts, still in order (nothing to sort again).
    public func keeping(_ keep: (String) -> Bool) -> Labels {
        var copy = Labels()
        copy.pairs = pairs.filter { keep($0.name) }
        return copy
    }

    /// Prometheus' text form: `metric{a="x",b="y"}`, values escaped as in the exposition format, and
    /// names that are not of the classic form quoted as Prometheus 3 does (`{"a.b",c="x"}`), so that
    /// no name or value can end a line or forge another series. It is also the canonical key of a
    /// series in the store.
    public var description: String {
        var text = ""
        var parts: [String] = []
        if let metric {
            if Labels.isClassicMetricName(metric) { text = metric } else { parts.append(Labels.quote(metric)) }
        }
        for pair in pairs where pair.name != Labels.metricName {
            parts.append("\(Labels.exposedName(pair.name))=\"\(Labels.escape(pair.value))\"")
        }
        if parts.isEmpty && !text.isEmpty { return text }
        return text + "{" + parts.joined(separator: ",") + "}"
    }

    /// A label name as the exposition format writes it: bare when classic, quoted otherwise.
    public static func exposedName(_ name: String) -> String {
        isClassicLabelName(name) ? name : quote(name)
    }

    /// A metric name as the exposition format writes it outside braces (`# TYPE` lines): bare when
    /// classic, quoted otherwise.
    public static func exposedMetricName(_ name: String) -> String {
        isClassicMetricName(name) ? name : quote(name)
    }

    /// A character of a classic name: a letter or `_` (or `:` in metric names), digits after the
    /// first. Every parser and check of Prometheus' classic names uses this one rule.
    public static func isClassicNameScalar(_ scalar: Unicode.Scalar, first: Bool, metric: Bool) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "_": true
        case ":": metric
        case "0"..."9": !first
        default: false
        }
    }

    /// The classic metric name, `[a-zA-Z_:][a-zA-Z0-9_:]*`, which needs no quoting in any output.
    public static func isClassicMetricName(_ name: String) -> Bool { isClassic(name, metric: true) }

    /// The classic label name, `[a-zA-Z_][a-zA-Z0-9_]*`.
    public static func isClassicLabelName(_ name: String) -> Bool { isClassic(name, metric: false) }

    private static func isClassic(_ name: String, metric: Bool) -> Bool {
        var first = true
        for scalar in name.unicodeScalars {
            guard isClassicNameScalar(scalar, first: first, metric: metric) else { return false }
            first = false
        }
        return !first
    }

    /// A name in double quotes, escaped as label values are.
    public static func quote(_ name: String) -> String { "\"" + escape(name) + "\"" }

    /// Escapes backslash, double quote and newline, as the Prometheus text format does.
    public static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    public static func == (lhs: Labels, rhs: Labels) -> Bool {
        // Copies of one set of labels (every sample of a series, as a parser hands them on) share
        // their storage: equal without comparing a string.
        let shared = lhs.pairs.withUnsafeBufferPointer { left in
            rhs.pairs.withUnsafeBufferPointer { right in
                left.baseAddress == right.baseAddress && left.count == right.count
            }
        }
        return shared
            || lhs.pairs.elementsEqual(rhs.pairs) {
                ExactText.equal($0.name, $1.name) && ExactText.equal($0.value, $1.value)
            }
    }

    public func hash(into hasher: inout Hasher) {
        for pair in pairs {
            ExactText.hash(pair.name, into: &hasher)
            ExactText.hash(pair.value, into: &hasher)
        }
    }

    /// Whether `lhs` sorts before (-1), with (0) or after (1) `rhs`, in the order of `<`, in one
    /// pass: a merge of two sorted lists of series compares each pair once.
    public static func order(_ lhs: Labels, _ rhs: Labels) -> Int {
        lhs.pairs.withUnsafeBufferPointer { left in
            rhs.pairs.withUnsafeBufferPointer { right in
                if left.baseAddress == right.baseAddress && left.count == right.count { return 0 }
                for index in 0..<min(left.count, right.count) {
                    let name = ExactText.order(left[index].name, right[index].name)
                    if name != 0 { return name }
                    let value = ExactText.order(left[index].value, right[index].value)
                    if value != 0 { return value }
                }
                return left.count == right.count ? 0 : left.count < right.count ? -1 : 1
            }
        }
    }

    public static func < (lhs: Labels, rhs: Labels) -> Bool {
        let count = min(lhs.pairs.count, rhs.pairs.count)
        var index = 0
        while index < count {
            let left = lhs.pairs[index]
            let right = rhs.pairs[index]
            let name = ExactText.order(left.name, right.name)
            if name != 0 { return name < 0 }
            let value = ExactText.order(left.value, right.value)
            if value != 0 { return value < 0 }
            index += 1
        }
        return lhs.pairs.count < rhs.pairs.count
    }

    /// A 64-bit FNV-1a hash of the canonical form: stable across processes and runs, unlike `Hasher`.
    public var stableHash: UInt64 { StableHash.fnv1a(description) }

    /// Two independent 64-bit hashes of the pairs, computed without building any string: a compact key
    /// for in-memory maps of many series (a collision of both would take some 10^19 series).
    public var fingerprint: Fingerprint { fingerprint { _ in true } }

    /// The fingerprint of the pairs named in `names`: `fingerprint { names.contains($0) }`, found by
    /// binary search when the names are few and in order (`on (indicator)` looks up one pair rather
    /// than testing every name).
    public func fingerprint(ofNames names: [String]) -> Fingerprint {
        guard names.count <= 4, zip(names, names.dropFirst()).allSatisfy({ ExactText.less($0, $1) }) else {
            return fingerprint { name in names.contains { ExactText.equal($0, name) } }
        }
        var digest = FingerprintDigest()
        for name in names {
            let index = insertionIndex(of: name)
            guard index < pairs.count, ExactText.equal(pairs[index].name, name) else { continue }
            digest.add(name, kind: 0xFF)
            digest.add(pairs[index].value, kind: 0xFE)
        }
        return Fingerprint(first: digest.first, second: digest.second)
    }

    /// The fingerprint of every pair but the metric name and those named in `names`: what
    /// `fingerprint(keeping:)` gives for a name that is neither, the pairs left out found by binary
    /// search (`without (...)` and `ignoring (...)` name a few labels; testing every name of every
    /// series against them cost as much as the hashing).
    public func fingerprint(excluding names: [String]) -> Fingerprint {
        guard names.count <= 4, pairs.count <= 64 else {
            return fingerprint { name in
                !ExactText.equal(name, Labels.metricName) && !names.contains { ExactText.equal($0, name) }
            }
        }
        var skipped: UInt64 = 0
        if let index = metricNameIndex { skipped |= 1 << UInt64(index) }
        for name in names {
            if let index = position(of: name) { skipped |= 1 << UInt64(index) }
        }
        var digest = FingerprintDigest()
        for index in pairs.indices where skipped & (1 << UInt64(index)) == 0 {
            digest.add(pairs[index].name, kind: 0xFF)
            digest.add(pairs[index].value, kind: 0xFE)
        }
        return Fingerprint(first: digest.first, second: digest.second)
    }

    /// The fingerprint of the pairs whose names `keep` accepts, without building those labels:
    /// grouping and matching keys for the query engine.
    public func fingerprint(keeping keep: (String) -> Bool) -> Fingerprint {
        var digest = FingerprintDigest()
        for pair in pairs where keep(pair.name) {
            digest.add(pair.name, kind: 0xFF)
            digest.add(pair.value, kind: 0xFE)
        }
        return Fingerprint(first: digest.first, second: digest.second)
    }
}

/// Eight bytes at a time into two lanes with different multipliers and shifts; each string's length
/// and kind close it, so that ("ab", "c") and ("a", "bc") differ. A struct with mutating methods, not
/// closures over local variables, which would cost a dynamic exclusivity check per word.
private struct FingerprintDigest {
    var first: UInt64 = 0xcbf2_9ce4_8422_2325
    var second: UInt64 = 0x9E37_79B9_7F4A_7C15

    @inline(__always) mutating func mix(_ word: UInt64) {
        first = (first ^ word) &* 0x9E37_79B9_7F4A_7C15
        first ^= first >> 32
        second = (second &+ word) &* 0xff51_afd7_ed55_8ccd
        second ^= second >> 29
    }

    mutating func add(_ text: String, kind: UInt64) {
        var text = text
        text.withUTF8 { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            var offset = 0
            while offset + 8 <= bytes.count {
                mix(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                offset += 8
            }
            // The last 1-7 bytes as the low bytes of a word: from one load of the last eight when the
            // text has eight, else from loads of four, two and one (a loop over the bytes cost more
            // than the words, and a copy called memcpy: a quarter of the digest's time).
            var tail: UInt64 = 0
            let rest = bytes.count - offset
            if rest > 0 && bytes.count >= 8 {
                tail =
                    UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self))
                    >> UInt64(8 * (8 - rest))
            } else if rest > 0 {
                var shift: UInt64 = 0
                if rest & 4 != 0 {
                    tail = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                    offset += 4
                    shift = 32
                }
                if rest & 2 != 0 {
                    tail |=
                        UInt64(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
                        << shift
                    offset += 2
                    shift += 16
                }
                if rest & 1 != 0 { tail |= UInt64(raw[offset]) << shift }
            }
            mix(tail)
            mix(UInt64(bytes.count) | kind << 56)
        }
    }
}

/// A 128-bit digest of a label set, see `Labels.fingerprint`.
public struct Fingerprint: Hashable, Sendable {
    public let first: UInt64
    public let second: UInt64

    public func hash(into hasher: inout Hasher) { hasher.combine(first) }

    /// What `Dictionary` and `Set` ask for instead of `hash(into:)`: the fingerprint is a hash of
    /// the labels already, so the table's per-process seed is mixed into it by one bijective
    /// finaliser (MurmurHash3's) rather than by SipHash, which cost more than the lookups it served
    /// (4 % of a scorecard evaluation). Labels crafted for colliding buckets would need the seed.
    public func _rawHashValue(seed: Int) -> Int {
        var mixed = first ^ UInt64(bitPattern: Int64(seed))
        mixed = (mixed ^ (mixed >> 33)) &* 0xff51_afd7_ed55_8ccd
        mixed = (mixed ^ (mixed >> 33)) &* 0xc4ce_b9fe_1a85_ec53
        return Int(truncatingIfNeeded: mixed ^ (mixed >> 33))
    }
}

/// Hashes that stay the same across processes, for on-disk keys and schedule offsets.
public enum StableHash {
    public static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}

/// Label names and values compared by their UTF-8 bytes, as Prometheus (Go) compares them.
///
/// Swift's `String` compares and hashes by canonical equivalence: "Huế" typed as one precomposed
/// letter (NFC) and as "e" with two combining marks (NFD, as macOS writes it) are one string to
/// Swift and two values to Prometheus, to libc and to SQLite. Series told apart by their bytes
/// everywhere else (the store's fingerprints) must not become one series in an index or a
/// comparison. Bytes are also the fast way: Swift normalizes non-ASCII text before each comparison.
public enum ExactText {
    /// Whether `lhs` and `rhs` hold the same bytes.
    @inlinable
    public static func equal(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.count == rhs.utf8.count && order(lhs, rhs) == 0
    }

    /// -1, 0 or 1 as `lhs`'s bytes sort before, with or after `rhs`'s.
    @inlinable
    public static func order(_ lhs: String, _ rhs: String) -> Int {
        // The same storage, or the same short string held inline: equal without reading a byte (the
        // first test of Swift's own `==`; copies of a series' labels share their strings).
        if MemoryLayout<String>.size == 16,
            unsafeBitCast(lhs, to: (UInt64, UInt64).self) == unsafeBitCast(rhs, to: (UInt64, UInt64).self)
        {
            return 0
        }
        let fast = lhs.utf8.withContiguousStorageIfAvailable { left in
            rhs.utf8.withContiguousStorageIfAvailable { right in
                order(UnsafeRawBufferPointer(left), UnsafeRawBufferPointer(right))
            }
        }
        if let fast, let order = fast { return order }
        if lhs.utf8.elementsEqual(rhs.utf8) { return 0 }
        return lhs.utf8.lexicographicallyPrecedes(rhs.utf8) ? -1 : 1
    }

    /// Eight bytes at a time, read big-endian so that integers order as the bytes do: label texts
    /// are short, and a call to `memcmp` for each cost more than the comparing (a tenth of a rule
    /// evaluation's time). Two strings of one storage never get here: the strings' own bits told.
    @inlinable @inline(__always)
    static func order(_ left: UnsafeRawBufferPointer, _ right: UnsafeRawBufferPointer) -> Int {
        let common = min(left.count, right.count)
        var offset = 0
        while offset + 8 <= common {
            let a = UInt64(bigEndian: left.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            let b = UInt64(bigEndian: right.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            if a != b { return a < b ? -1 : 1 }
            offset += 8
        }
        while offset < common {
            let (a, b) = (left[offset], right[offset])
            if a != b { return a < b ? -1 : 1 }
            offset += 1
        }
        return left.count == right.count ? 0 : left.count < right.count ? -1 : 1
    }

    /// Whether `lhs`'s bytes sort before `rhs`'s.
    @inlinable
    public static func less(_ lhs: String, _ rhs: String) -> Bool { order(lhs, rhs) < 0 }

    /// Feeds `text`'s bytes and length to `hasher`: equal bytes, equal hashes.
    public static func hash(_ text: String, into hasher: inout Hasher) {
        let hashed: Bool? = text.utf8.withContiguousStorageIfAvailable { bytes in
            hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
            return true
        }
        if hashed == nil { for byte in text.utf8 { hasher.combine(byte) } }
        hasher.combine(text.utf8.count)
    }
}

/// A string as a dictionary key or a sort key by its bytes (see `ExactText`).
public struct ExactString: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let string: String

    public init(_ string: String) { self.string = string }

    public static func == (lhs: ExactString, rhs: ExactString) -> Bool { ExactText.equal(lhs.string, rhs.string) }
    public static func < (lhs: ExactString, rhs: ExactString) -> Bool { ExactText.less(lhs.string, rhs.string) }
    public func hash(into hasher: inout Hasher) { ExactText.hash(string, into: &hasher) }
    public var description: String { string }
}

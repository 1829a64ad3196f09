import Glibc

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
    public static func order(_ lhs: String, _ rhs: String) -> Int {
        let fast = lhs.utf8.withContiguousStorageIfAvailable { left in
            rhs.utf8.withContiguousStorageIfAvailable { right -> Int in
                let common = min(left.count, right.count)
                if common > 0, let a = left.baseAddress, let b = right.baseAddress {
                    let compared = memcmp(a, b, common)
                    if compared != 0 { return compared < 0 ? -1 : 1 }
                }
                return left.count == right.count ? 0 : left.count < right.count ? -1 : 1
            }
        }
        if let fast, let order = fast { return order }
        if lhs.utf8.elementsEqual(rhs.utf8) { return 0 }
        return lhs.utf8.lexicographicallyPrecedes(rhs.utf8) ? -1 : 1
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

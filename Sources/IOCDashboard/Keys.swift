/// A key the dashboard understands.
public enum Key: Sendable, Equatable {
    case character(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case tab, backTab, enter, escape, backspace
    /// Ctrl with a letter: Ctrl-C is `.control("c")`.
    case control(Character)
}

/// Turns the bytes read from a raw-mode terminal into keys: UTF-8 characters and escape sequences
/// that may arrive split across reads (the rest is kept for the next call). A lone ESC is the Escape
/// key only when no more bytes follow it (`flush()`, called when the terminal stays quiet briefly).
public struct KeyDecoder: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    /// Whether bytes are held back waiting for the rest of a sequence or character.
    public var isWaiting: Bool { !pending.isEmpty }

    public mutating func decode(_ bytes: [UInt8]) -> [Key] {
        pending += bytes
        var keys: [Key] = []
        var index = 0
        while index < pending.count {
            guard let (key, length) = KeyDecoder.key(at: index, in: pending) else { break }
            if let key { keys.append(key) }
            index += length
        }
        pending.removeFirst(index)
        return keys
    }

    /// What is held back, as keys: a lone ESC is Escape; a broken sequence is dropped.
    public mutating func flush() -> [Key] {
        defer { pending = [] }
        return pending.first == 0x1B ? [.escape] : []
    }

    /// The key at `index` and how many bytes it took (nil key: bytes to skip); nil when incomplete.
    private static func key(at index: Int, in bytes: [UInt8]) -> (Key?, Int)? {
        let byte = bytes[index]
        switch byte {
        case 0x1B:
            guard index + 1 < bytes.count else { return nil }
            let next = bytes[index + 1]
            if next == UInt8(ascii: "[") || next == UInt8(ascii: "O") { return sequence(at: index, in: bytes) }
            if next == 0x1B { return (.escape, 1) }
            // Alt-key: read as the key itself.
            return (nil, 1)
        case 0x09: return (.tab, 1)
        case 0x0D, 0x0A: return (.enter, 1)
        case 0x7F, 0x08: return (.backspace, 1)
        case 0x01...0x1A: return (.control(Character(Unicode.Scalar(byte + 0x60))), 1)
        case 0x00..<0x20: return (nil, 1)
        case 0x20..<0x80: return (.character(Character(Unicode.Scalar(byte))), 1)
        default:
            let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
            guard length > 1 else { return (nil, 1) }
            guard index + length <= bytes.count else { return nil }
            guard let text = String(validating: bytes[index..<index + length], as: UTF8.self),
                let character = text.first
            else { return (nil, 1) }
            return (.character(character), length)
        }
    }

    /// CSI (`ESC [`) and SS3 (`ESC O`) sequences: parameters, then a final byte.
    private static func sequence(at index: Int, in bytes: [UInt8]) -> (Key?, Int)? {
        var end = index + 2
        while end < bytes.count, !(0x40...0x7E).contains(bytes[end]) { end += 1 }
        guard end < bytes.count else { return end - index > 16 ? (nil, end - index) : nil }
        let parameters = String(decoding: bytes[(index + 2)..<end], as: UTF8.self)
        let length = end - index + 1
        switch bytes[end] {
        case UInt8(ascii: "A"): return (.up, length)
        case UInt8(ascii: "B"): return (.down, length)
        case UInt8(ascii: "C"): return (.right, length)
        case UInt8(ascii: "D"): return (.left, length)
        case UInt8(ascii: "H"): return (.home, length)
        case UInt8(ascii: "F"): return (.end, length)
        case UInt8(ascii: "Z"): return (.backTab, length)
        case UInt8(ascii: "~"):
            switch parameters.split(separator: ";").first {
            case "1", "7": return (.home, length)
            case "4", "8": return (.end, length)
            case "5": return (.pageUp, length)
            case "6": return (.pageDown, length)
            default: return (nil, length)
            }
        default: return (nil, length)
        }
    }
}

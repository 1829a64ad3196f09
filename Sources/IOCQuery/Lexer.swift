/// A PromQL token and where it starts (an offset in UTF-8 bytes; errors report characters).
struct Token: Equatable {
    enum Kind: Equatable {
        case identifier(String)
        case number(Double)
        /// A duration literal such as `5m` or `1h30m`, in milliseconds.
        case duration(Int64)
        case string(String)
        /// `+ - * / % ^ == != > < >= <= = =~ !~`
        case symbol(String)
        case leftParen, rightParen, leftBrace, rightBrace, leftBracket, rightBracket, comma, colon, at
        case end
    }

    var kind: Kind
    var position: Int

    var describe: String {
        switch kind {
        case .identifier(let name): "'\(name)'"
        case .number: "a number"
        case .duration: "a duration"
        case .string: "a string"
        case .symbol(let symbol): "'\(symbol)'"
        case .leftParen: "'('"
        case .rightParen: "')'"
        case .leftBrace: "'{'"
        case .rightBrace: "'}'"
        case .leftBracket: "'['"
        case .rightBracket: "']'"
        case .comma: "','"
        case .colon: "':'"
        case .at: "'@'"
        case .end: "end of query"
        }
    }
}

/// Splits a query into tokens, as Prometheus' lexer does: numbers (decimal, hexadecimal, with
/// exponents, `Inf` and `NaN`), durations (`1h30m`, `500ms`), strings in double or single quotes
/// with Go's escapes or in backticks without, identifiers (metric names may hold colons), and
/// operators. `#` starts a comment to the end of the line.
struct Lexer {
    private let query: String
    /// The query's UTF-8: every token but strings' contents is ASCII, and reading bytes instead of
    /// `Character`s (grapheme breaking, Unicode property lookups) was most of parsing a query.
    private let bytes: [UInt8]
    private var position = 0

    init(_ query: String) {
        self.query = query
        bytes = Array(query.utf8)
    }

    static func tokens(_ query: String) throws(QueryError) -> [Token] {
        var lexer = Lexer(query)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private var peek: UInt8? { position < bytes.count ? bytes[position] : nil }
    private func peek(_ offset: Int) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    private func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

    private func fail(at byte: Int, _ message: String) -> QueryError {
        QueryError(query: query, byteOffset: byte, message)
    }

    /// The character that starts at `byte` (for what is not ASCII: spaces, and errors).
    private func character(at byte: Int) -> (character: Character, length: Int) {
        var end = byte + 1
        while end < bytes.count && bytes[end] & 0xC0 == 0x80 { end += 1 }
        let scalar = text(byte..<end)
        return (scalar.first ?? " ", end - byte)
    }

    /// The length of the line break at `byte` (\n, \r, \v, \f, U+0085, U+2028, U+2029), or 0.
    private func lineBreak(at byte: Int) -> Int {
        switch bytes[byte] {
        case 0x0A, 0x0B, 0x0C, 0x0D: return 1
        case 0xC2 where byte + 1 < bytes.count && bytes[byte + 1] == 0x85: return 2
        case 0xE2 where byte + 2 < bytes.count && bytes[byte + 1] == 0x80 && (bytes[byte + 2] & 0xFE) == 0xA8: return 3
        default: return 0
        }
    }

    private mutating func next() throws(QueryError) -> Token {
        while let byte = peek {
            if byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) {
                position += 1
            } else if byte == UInt8(ascii: "#") {
                while position < bytes.count && lineBreak(at: position) == 0 { position += 1 }
            } else if byte >= 0x80, case let (character, length) = character(at: position), character.isWhitespace {
                position += length
            } else {
                break
            }
        }
        let start = position
        guard let byte = peek else { return Token(kind: .end, position: start) }
        func single(_ kind: Token.Kind) -> Token {
            position += 1
            return Token(kind: kind, position: start)
        }
        switch byte {
        case UInt8(ascii: "("): return single(.leftParen)
        case UInt8(ascii: ")"): return single(.rightParen)
        case UInt8(ascii: "{"): return single(.leftBrace)
        case UInt8(ascii: "}"): return single(.rightBrace)
        case UInt8(ascii: "["): return single(.leftBracket)
        case UInt8(ascii: "]"): return single(.rightBracket)
        case UInt8(ascii: ","): return single(.comma)
        case UInt8(ascii: ":"): return single(.colon)
        case UInt8(ascii: "@"): return single(.at)
        case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"):
            return Token(kind: .string(try string()), position: start)
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "*"), UInt8(ascii: "/"), UInt8(ascii: "%"),
            UInt8(ascii: "^"):
            return single(.symbol(text(start..<start + 1)))
        case UInt8(ascii: "="), UInt8(ascii: "!"):
            if peek(1) == UInt8(ascii: "=") || peek(1) == UInt8(ascii: "~") {
                position += 2
                return Token(kind: .symbol(text(start..<start + 2)), position: start)
            }
            if byte == UInt8(ascii: "!") { throw fail(at: start, "unexpected '!': expected '!=' or '!~'") }
            return single(.symbol("="))
        case UInt8(ascii: "<"), UInt8(ascii: ">"):
            if peek(1) == UInt8(ascii: "=") {
                position += 2
                return Token(kind: .symbol(text(start..<start + 2)), position: start)
            }
            return single(.symbol(text(start..<start + 1)))
        default:
            break
        }
        if byte.isDigit || (byte == UInt8(ascii: ".") && peek(1)?.isDigit == true) {
            return try numberOrDuration()
        }
        if byte.isLetter || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") {
            while let next = peek,
                next.isLetter || next.isDigit || next == UInt8(ascii: "_") || next == UInt8(ascii: ":")
            {
                position += 1
            }
            let word = text(start..<position)
            if position - start == 3 {
                switch word.lowercased() {
                case "inf": return Token(kind: .number(.infinity), position: start)
                case "nan": return Token(kind: .number(.nan), position: start)
                default: break
                }
            }
            return Token(kind: .identifier(word), position: start)
        }
        throw fail(at: start, "unexpected character '\(character(at: start).character)'")
    }

    private mutating func numberOrDuration() throws(QueryError) -> Token {
        let start = position
        if peek == UInt8(ascii: "0"), peek(1) == UInt8(ascii: "x") || peek(1) == UInt8(ascii: "X") {
            position += 2
            while let next = peek, next.isHexDigit { position += 1 }
            guard let value = UInt64(text(start + 2..<position), radix: 16) else {
                throw fail(at: start, "bad hexadecimal number")
            }
            return Token(kind: .number(Double(value)), position: start)
        }
        // A duration is digits followed by a unit, repeated: 1h30m, 500ms.
        if let duration = try durationLiteral() { return Token(kind: .duration(duration), position: start) }
        position = start
        while let next = peek, next.isDigit || next == UInt8(ascii: ".") { position += 1 }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            let mark = position
            position += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { position += 1 }
            if peek?.isDigit == true {
                while let next = peek, next.isDigit { position += 1 }
            } else {
                position = mark
            }
        }
        if position < bytes.count, isLetter(at: position) || bytes[position] == UInt8(ascii: "_") {
            throw fail(at: position, "bad number or duration: unexpected '\(character(at: position).character)'")
        }
        guard let value = Double(text(start..<position)) else {
            throw fail(at: start, "bad number '\(text(start..<position))'")
        }
        return Token(kind: .number(value), position: start)
    }

    /// Whether a letter (of any script) starts at `byte`.
    private func isLetter(at byte: Int) -> Bool {
        bytes[byte] < 0x80 ? bytes[byte].isLetter : character(at: byte).character.isLetter
    }

    /// The unit of a duration at the position, if one is there: `ms` before `m`.
    private func unit() -> (length: Int, milliseconds: Int64)? {
        switch peek {
        case UInt8(ascii: "m"): peek(1) == UInt8(ascii: "s") ? (2, 1) : (1, 60_000)
        case UInt8(ascii: "s"): (1, 1000)
        case UInt8(ascii: "h"): (1, 3_600_000)
        case UInt8(ascii: "d"): (1, 86_400_000)
        case UInt8(ascii: "w"): (1, 604_800_000)
        case UInt8(ascii: "y"): (1, 31_536_000_000)
        default: nil
        }
    }

    /// Reads a duration if the text here is one; otherwise leaves the position where it found it.
    /// A duration longer than Prometheus takes (about 292 years) is an error, not an overflow.
    private mutating func durationLiteral() throws(QueryError) -> Int64? {
        let start = position
        var total: Int64 = 0
        var parts = 0
        var previousUnit = Int64.max
        while let first = peek, first.isDigit {
            var amount: Int64? = 0
            while let next = peek, next.isDigit {
                amount = amount.flatMap { value in
                    let (tens, overflow) = value.multipliedReportingOverflow(by: 10)
                    let (sum, sumOverflow) = tens.addingReportingOverflow(Int64(next - UInt8(ascii: "0")))
                    return overflow || sumOverflow ? nil : sum
                }
                position += 1
            }
            guard let amount, let unit = unit() else {
                position = start
                return nil
            }
            // Units from the largest down, each once, as Prometheus' ParseDuration takes them.
            guard unit.milliseconds < previousUnit else {
                while let next = peek, next.isDigit || next.isLetter { position += 1 }
                throw fail(at: start, "not a valid duration string: \"\(text(start..<position))\"")
            }
            previousUnit = unit.milliseconds
            position += unit.length
            let (product, overflow) = amount.multipliedReportingOverflow(by: unit.milliseconds)
            let (sum, sumOverflow) = total.addingReportingOverflow(product)
            guard !overflow, !sumOverflow, sum <= Duration.prometheusMaximumMilliseconds else {
                throw fail(at: start, "duration out of range: at most 292 years")
            }
            total = sum
            parts += 1
        }
        if parts == 0 || (position < bytes.count && isLetter(at: position)) || peek == UInt8(ascii: ".") {
            position = start
            return nil
        }
        return total
    }

    /// The bytes of a numeric escape whose letter or first digit is `kind` (the position just
    /// after it), leaving the position after the escape: `\x` with two hex digits and `\NNN` with
    /// three octal ones are one byte each, as Go's strconv.Unquote has them (`"\xc3\xa9"` is "é");
    /// `\u` and `\U` a code point, written in UTF-8.
    private mutating func numericEscape(_ kind: UInt8) throws(QueryError) -> [UInt8] {
        let octal = kind.isDigit
        let escape = position - 2
        if octal { position -= 1 }
        let count = octal ? 3 : kind == UInt8(ascii: "x") ? 2 : kind == UInt8(ascii: "u") ? 4 : 8
        let end = min(bytes.count, position + count)
        let valid: (UInt8) -> Bool =
            octal ? { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") } : { $0.isHexDigit }
        guard end - position == count, bytes[position..<end].allSatisfy(valid),
            let code = UInt32(text(position..<end), radix: octal ? 8 : 16)
        else { throw fail(at: escape, "bad escape sequence '\\\(text(escape + 1..<escape + 2))'") }
        position = end
        if octal || kind == UInt8(ascii: "x") {
            guard code <= 0xFF else { throw fail(at: escape, "escape sequence is an invalid Unicode code point") }
            return [UInt8(code)]
        }
        guard let scalar = Unicode.Scalar(code) else {
            throw fail(at: escape, "escape sequence is an invalid Unicode code point")
        }
        return Array(String(scalar).utf8)
    }

    /// A string in double quotes, single quotes or backticks, with Go's escapes (none in backticks).
    private mutating func string() throws(QueryError) -> String {
        let start = position
        guard let quote = peek else { throw fail(at: start, "expected a string") }
        position += 1
        var value: [UInt8] = []
        while let byte = peek {
            if byte == quote {
                position += 1
                return String(decoding: value, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") && quote != UInt8(ascii: "`") {
                guard let escaped = peek(1) else { break }
                position += 2
                switch escaped {
                case UInt8(ascii: "n"): value.append(0x0A)
                case UInt8(ascii: "t"): value.append(0x09)
                case UInt8(ascii: "r"): value.append(0x0D)
                case UInt8(ascii: "a"): value.append(0x07)
                case UInt8(ascii: "b"): value.append(0x08)
                case UInt8(ascii: "f"): value.append(0x0C)
                case UInt8(ascii: "v"): value.append(0x0B)
                // A quote is escaped only in strings it opens, as in Go.
                case UInt8(ascii: "\\"), quote: value.append(escaped)
                case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"), UInt8(ascii: "0")...UInt8(ascii: "7"):
                    value += try numericEscape(escaped)
                default:
                    let (character, _) = character(at: position - 1)
                    throw fail(at: position - 2, "unknown escape sequence '\\\(character)'")
                }
                continue
            }
            let length = lineBreak(at: position)
            if length > 0 && quote != UInt8(ascii: "`") { break }
            value.append(byte)
            position += 1
        }
        throw fail(at: start, "unterminated string")
    }
}

extension UInt8 {
    /// The byte tests the lexer makes: ASCII only.
    fileprivate var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
    fileprivate var isLetter: Bool { (self | 0x20) >= UInt8(ascii: "a") && (self | 0x20) <= UInt8(ascii: "z") }
    fileprivate var isHexDigit: Bool {
        isDigit || ((self | 0x20) >= UInt8(ascii: "a") && (self | 0x20) <= UInt8(ascii: "f"))
    }
}

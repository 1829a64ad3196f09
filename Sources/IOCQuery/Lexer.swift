/// A PromQL token and where it starts (an offset in characters).
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
    private let characters: [Character]
    private var position = 0

    init(_ query: String) {
        self.query = query
        characters = Array(query)
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

    private var peek: Character? { position < characters.count ? characters[position] : nil }
    private func peek(_ offset: Int) -> Character? {
        position + offset < characters.count ? characters[position + offset] : nil
    }

    private mutating func next() throws(QueryError) -> Token {
        while let character = peek {
            if character.isSpace {
                position += 1
            } else if character == "#" {
                while let next = peek, !next.isNewline { position += 1 }
            } else {
                break
            }
        }
        let start = position
        guard let character = peek else { return Token(kind: .end, position: start) }
        func single(_ kind: Token.Kind) -> Token {
            position += 1
            return Token(kind: kind, position: start)
        }
        switch character {
        case "(": return single(.leftParen)
        case ")": return single(.rightParen)
        case "{": return single(.leftBrace)
        case "}": return single(.rightBrace)
        case "[": return single(.leftBracket)
        case "]": return single(.rightBracket)
        case ",": return single(.comma)
        case ":": return single(.colon)
        case "@": return single(.at)
        case "\"", "'", "`": return Token(kind: .string(try string()), position: start)
        case "+", "-", "*", "/", "%", "^": return single(.symbol(String(character)))
        case "=":
            if peek(1) == "=" || peek(1) == "~" {
                position += 2
                return Token(kind: .symbol("=" + String(characters[start + 1])), position: start)
            }
            return single(.symbol("="))
        case "!":
            if peek(1) == "=" || peek(1) == "~" {
                position += 2
                return Token(kind: .symbol("!" + String(characters[start + 1])), position: start)
            }
            throw QueryError(query: query, position: start, "unexpected '!': expected '!=' or '!~'")
        case "<", ">":
            if peek(1) == "=" {
                position += 2
                return Token(kind: .symbol(String(character) + "="), position: start)
            }
            return single(.symbol(String(character)))
        default:
            break
        }
        if character.isDigit || (character == "." && peek(1)?.isDigit == true) {
            return try numberOrDuration()
        }
        if character.isASCIILetter || character == "_" || character == ":" {
            while let next = peek, next.isASCIILetter || next.isDigit || next == "_" || next == ":" {
                position += 1
            }
            let word = String(characters[start..<position])
            if position - start == 3 {
                switch word.lowercased() {
                case "inf": return Token(kind: .number(.infinity), position: start)
                case "nan": return Token(kind: .number(.nan), position: start)
                default: break
                }
            }
            return Token(kind: .identifier(word), position: start)
        }
        throw QueryError(query: query, position: start, "unexpected character '\(character)'")
    }

    private mutating func numberOrDuration() throws(QueryError) -> Token {
        let start = position
        if peek == "0", peek(1) == "x" || peek(1) == "X" {
            position += 2
            while let next = peek, next.isHexDigit { position += 1 }
            guard let value = UInt64(String(characters[(start + 2)..<position]), radix: 16) else {
                throw QueryError(query: query, position: start, "bad hexadecimal number")
            }
            return Token(kind: .number(Double(value)), position: start)
        }
        // A duration is digits followed by a unit, repeated: 1h30m, 500ms.
        if let duration = try durationLiteral() { return Token(kind: .duration(duration), position: start) }
        position = start
        while let next = peek, next.isDigit || next == "." { position += 1 }
        if peek == "e" || peek == "E" {
            let mark = position
            position += 1
            if peek == "+" || peek == "-" { position += 1 }
            if peek?.isDigit == true {
                while let next = peek, next.isDigit { position += 1 }
            } else {
                position = mark
            }
        }
        if let next = peek, next.isLetterQuickly || next == "_" {
            throw QueryError(query: query, position: position, "bad number or duration: unexpected '\(next)'")
        }
        guard let value = Double(String(characters[start..<position])) else {
            throw QueryError(query: query, position: start, "bad number '\(String(characters[start..<position]))'")
        }
        return Token(kind: .number(value), position: start)
    }

    /// The unit of a duration at the position, if one is there: `ms` before `m`.
    private func unit() -> (length: Int, milliseconds: Int64)? {
        switch peek {
        case "m": peek(1) == "s" ? (2, 1) : (1, 60_000)
        case "s": (1, 1000)
        case "h": (1, 3_600_000)
        case "d": (1, 86_400_000)
        case "w": (1, 604_800_000)
        case "y": (1, 31_536_000_000)
        default: nil
        }
    }

    /// Reads a duration if the text here is one; otherwise leaves the position where it found it.
    /// A duration longer than Prometheus takes (about 292 years) is an error, not an overflow.
    private mutating func durationLiteral() throws(QueryError) -> Int64? {
        let start = position
        var total: Int64 = 0
        var parts = 0
        while let first = peek, first.isDigit {
            var amount: Int64? = 0
            while let next = peek, let digit = next.asciiValue, next.isDigit {
                amount = amount.flatMap { value in
                    let (tens, overflow) = value.multipliedReportingOverflow(by: 10)
                    let (sum, sumOverflow) = tens.addingReportingOverflow(Int64(digit - UInt8(ascii: "0")))
                    return overflow || sumOverflow ? nil : sum
                }
                position += 1
            }
            guard let amount, let unit = unit() else {
                position = start
                return nil
            }
            position += unit.length
            let (product, overflow) = amount.multipliedReportingOverflow(by: unit.milliseconds)
            let (sum, sumOverflow) = total.addingReportingOverflow(product)
            guard !overflow, !sumOverflow, sum <= Duration.prometheusMaximumMilliseconds else {
                throw QueryError(query: query, position: start, "duration out of range: at most 292 years")
            }
            total = sum
            parts += 1
        }
        if parts == 0 || peek?.isLetterQuickly == true || peek == "." {
            position = start
            return nil
        }
        return total
    }

    /// A string in double quotes, single quotes or backticks, with Go's escapes (none in backticks).
    private mutating func string() throws(QueryError) -> String {
        let start = position
        guard let quote = peek else { throw QueryError(query: query, position: start, "expected a string") }
        position += 1
        var value = ""
        while let character = peek {
            position += 1
            if character == quote { return value }
            if character == "\\" && quote != "`" {
                guard let escaped = peek else { break }
                position += 1
                switch escaped {
                case "n": value.append("\n")
                case "t": value.append("\t")
                case "r": value.append("\r")
                case "a": value.append("\u{07}")
                case "b": value.append("\u{08}")
                case "f": value.append("\u{0C}")
                case "v": value.append("\u{0B}")
                case "\\", "\"", "'": value.append(escaped)
                case "x", "u", "U":
                    let count = escaped == "x" ? 2 : escaped == "u" ? 4 : 8
                    let digits = (0..<count).compactMap { peek($0) }
                    guard digits.count == count, let code = UInt32(String(digits), radix: 16),
                        let scalar = Unicode.Scalar(code)
                    else {
                        throw QueryError(query: query, position: position - 2, "bad escape sequence '\\\(escaped)'")
                    }
                    position += count
                    value.unicodeScalars.append(scalar)
                default:
                    throw QueryError(query: query, position: position - 2, "unknown escape sequence '\\\(escaped)'")
                }
            } else {
                if character.isNewline && quote != "`" { break }
                value.append(character)
            }
        }
        throw QueryError(query: query, position: start, "unterminated string")
    }
}

extension Character {
    /// The character tests the lexer makes for every character, without the Unicode property
    /// lookups of `isWhitespace` and `isLetter` for ASCII (a fifth of parsing a query).
    fileprivate var isDigit: Bool { asciiValue.map { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ?? false }

    fileprivate var isASCIILetter: Bool {
        asciiValue.map { ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") } ?? false
    }

    fileprivate var isLetterQuickly: Bool { isASCII ? isASCIILetter : isLetter }

    fileprivate var isSpace: Bool {
        guard let ascii = asciiValue else { return isWhitespace }
        return ascii == UInt8(ascii: " ") || (ascii >= 0x09 && ascii <= 0x0D)
    }
}

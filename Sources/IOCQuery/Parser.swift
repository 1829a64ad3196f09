import IOCCore

/// A parsed query: the expression and the text it came from.
public struct Query: Sendable {
    public let text: String
    public let expression: Expression
    /// How many vector selectors the expression holds (their `index` runs from 0).
    let selectorCount: Int

    /// The deepest expression tree IOC evaluates (`((((x))))` is 5 levels; Prometheus' own queries
    /// rarely pass 20).
    public static let maximumDepth = 256
    /// The most tokens a query may have: bounds the work of parsing, and the tree built before an
    /// error is found.
    public static let maximumTokens = 20_000

    /// Parses PromQL; a syntax error names the position with a caret and says what was expected, and
    /// constructs IOC does not evaluate are refused by name.
    public init(parsing text: String) throws(QueryError) {
        var parser = try Parser(text)
        expression = try parser.parseQuery()
        // Every part of IOC that walks an expression recurses; a tree deeper than this would
        // overflow a thread's stack rather than answer.
        let depth = expression.depth
        guard depth <= Query.maximumDepth else {
            throw QueryError(
                query: text, position: 0,
                "the query is nested too deeply (\(depth) levels; at most \(Query.maximumDepth))")
        }
        selectorCount = parser.selectorCount
        self.text = text
    }
}

/// A precedence-climbing parser over the lexer's tokens, with the type checks Prometheus' parser
/// makes.
struct Parser {
    private let text: String
    private let tokens: [Token]
    private var index = 0
    private(set) var selectorCount = 0

    /// How deep the recursive descent is: bounded so that `((((…` or `- - - …` is an error, not a
    /// stack overflow.
    private var nesting = 0

    init(_ text: String) throws(QueryError) {
        self.text = text
        tokens = try Lexer.tokens(text)
        guard tokens.count <= Query.maximumTokens else {
            throw QueryError(
                query: text, position: 0,
                "the query is too long (\(tokens.count) tokens; at most \(Query.maximumTokens))")
        }
    }

    mutating func enter() throws(QueryError) {
        nesting += 1
        guard nesting <= Query.maximumDepth else {
            throw fail("the query is nested too deeply (more than \(Query.maximumDepth) levels)")
        }
    }

    var token: Token { tokens[index] }

    func peekKind(_ offset: Int = 1) -> Token.Kind {
        index + offset < tokens.count ? tokens[index + offset].kind : .end
    }

    mutating func advance() -> Token {
        defer { if index < tokens.count - 1 { index += 1 } }
        return token
    }

    func fail(_ message: String, at position: Int? = nil) -> QueryError {
        QueryError(query: text, byteOffset: position ?? token.position, message)
    }

    func unexpected(_ expected: String) -> QueryError {
        fail("unexpected \(token.describe), expected \(expected)")
    }

    mutating func expect(_ kind: Token.Kind, _ what: String) throws(QueryError) {
        guard token.kind == kind else { throw unexpected(what) }
        _ = advance()
    }

    func isKeyword(_ word: String) -> Bool {
        if case .identifier(let name) = token.kind { return name.lowercased() == word }
        return false
    }

    mutating func parseQuery() throws(QueryError) -> Expression {
        guard token.kind != .end else { throw fail("empty query: expected an expression") }
        let expression = try parseBinary(minimum: 1)
        guard token.kind == .end else { throw unexpected("an operator or the end of the query") }
        return expression
    }

    // MARK: Binary operators

    func binaryOperator() -> BinaryOperator? {
        switch token.kind {
        case .symbol(let symbol): return symbol == "=" ? nil : BinaryOperator(rawValue: symbol)
        case .identifier(let name):
            switch name.lowercased() {
            case "and": return .and
            case "or": return .or
            case "unless": return .unless
            case "atan2": return .atan2
            default: return nil
            }
        default: return nil
        }
    }

    mutating func parseBinary(minimum: Int) throws(QueryError) -> Expression {
        try enter()
        defer { nesting -= 1 }
        var left = try parseUnary()
        // The left side's type, kept rather than asked of an ever deeper tree at each operator.
        var leftType = left.type
        while let op = binaryOperator(), op.precedence >= minimum {
            let position = advance().position
            var matching = VectorMatching()
            if isKeyword("bool") {
                guard op.isComparison else { throw fail("bool modifier can only be used on comparison operators") }
                _ = advance()
                matching.returnBool = true
            }
            if isKeyword("on") || isKeyword("ignoring") {
                matching.on = isKeyword("on")
                _ = advance()
                matching.labels = try labelList()
                if isKeyword("group_left") || isKeyword("group_right") {
                    let groupPosition = token.position
                    guard !op.isSetOperator else {
                        throw fail("no grouping allowed for \"\(op.rawValue)\" operation", at: groupPosition)
                    }
                    matching.cardinality = isKeyword("group_left") ? .manyToOne : .oneToMany
                    _ = advance()
                    if token.kind == .leftParen { matching.include = try labelList() }
                    if matching.on, let both = matching.include.first(where: matching.labels.contains) {
                        throw fail(
                            "label \"\(both)\" must not occur in ON and GROUP clause at once", at: groupPosition)
                    }
                }
            } else if isKeyword("group_left") || isKeyword("group_right") {
                throw fail("group_left and group_right need on(...) or ignoring(...) before them")
            }
            if op.isSetOperator { matching.cardinality = .manyToMany }
            // `^` is right-associative: 2 ^ 3 ^ 2 is 2 ^ 9.
            let right = try parseBinary(minimum: op == .power ? op.precedence : op.precedence + 1)
            let rightType = right.type
            left = try checkedBinary(op, left, leftType, right, rightType, matching, at: position)
            leftType = ValueType.ofBinary(leftType, rightType)
        }
        return left
    }

    func checkedBinary(
        _ op: BinaryOperator, _ left: Expression, _ leftType: ValueType, _ right: Expression, _ rightType: ValueType,
        _ matching: VectorMatching, at position: Int
    ) throws(QueryError) -> Expression {
        let types = (leftType, rightType)
        for type in [types.0, types.1] where type != .scalar && type != .vector {
            throw fail(
                "binary expression must contain only scalar and instant vector types, found \(type.rawValue)",
                at: position)
        }
        let bothScalar = types.0 == .scalar && types.1 == .scalar
        if op.isSetOperator && (types.0 != .vector || types.1 != .vector) {
            throw fail("set operator \"\(op.rawValue)\" not allowed in binary scalar expression", at: position)
        }
        if op.isComparison && bothScalar && !matching.returnBool {
            throw fail("comparisons between scalars must use BOOL modifier", at: position)
        }
        if (!matching.labels.isEmpty || matching.on || matching.cardinality == .manyToOne
            || matching.cardinality == .oneToMany) && (types.0 != .vector || types.1 != .vector)
        {
            throw fail("vector matching only allowed between instant vectors", at: position)
        }
        return .binary(op, left, right, matching)
    }

    mutating func parseUnary() throws(QueryError) -> Expression {
        try enter()
        defer { nesting -= 1 }
        if case .symbol(let symbol) = token.kind, symbol == "-" || symbol == "+" {
            let position = advance().position
            // Only `^` binds tighter than a sign: -2 ^ 2 is -(2 ^ 2).
            let operand = try parseBinary(minimum: BinaryOperator.power.precedence)
            guard operand.type == .scalar || operand.type == .vector else {
                throw fail(
                    "unary expression only allowed on expressions of type scalar or instant vector", at: position)
            }
            if symbol == "+" { return operand }
            if case .number(let value) = operand { return .number(-value) }
            return .negation(operand)
        }
        return try parsePostfix(try parsePrimary())
    }

    // MARK: Ranges, subqueries, offsets

    mutating func parsePostfix(_ primary: Expression) throws(QueryError) -> Expression {
        var expression = primary
        while true {
            if token.kind == .leftBracket {
                let position = advance().position
                let range = try durationValue("a range duration such as 5m")
                if token.kind == .colon {
                    _ = advance()
                    var step: Int64?
                    if token.kind != .rightBracket { step = try durationValue("a step duration or ']'") }
                    try expect(.rightBracket, "']'")
                    guard expression.type == .vector else {
                        throw fail(
                            "subquery is only allowed on instant vector, got \(expression.type.rawValue)", at: position)
                    }
                    if step == 0 { throw fail("zero step in a subquery", at: position) }
                    // As Prometheus: a subquery over no time is refused, as a range of zero is.
                    if range == 0 { throw fail("a subquery's range must be greater than zero", at: position) }
                    expression = .subquery(expression, range: range, step: step, offset: 0)
                } else {
                    try expect(.rightBracket, "']' or ':'")
                    guard range > 0 || !expression.isSelector else {
                        throw fail("a range must be greater than zero", at: position)
                    }
                    // The modifiers follow the range (`x[5m] offset 1m @ 100`), as Prometheus 2.42
                    // has them, which takes `x @ start() [5m]` as `x[5m] @ start()` all the same.
                    switch expression {
                    case .vector(let selector) where selector.offset != 0,
                        .pinned(.vector(let selector), _) where selector.offset != 0:
                        throw fail("no offset modifiers allowed before range", at: position)
                    case .vector(let selector): expression = .matrix(selector, range: range)
                    case .pinned(.vector, .time): throw fail("no @ modifiers allowed before range", at: position)
                    case .pinned(.vector(let selector), let time):
                        expression = .pinned(.matrix(selector, range: range), at: time)
                    default: throw fail("ranges only allowed for vector selectors", at: position)
                    }
                }
            } else if isKeyword("offset") {
                let position = advance().position
                var sign: Int64 = 1
                if case .symbol("-") = token.kind {
                    sign = -1
                    _ = advance()
                }
                let durationAt = token.position
                let offset = sign * (try durationValue("a duration after offset"))
                // Prometheus takes no duration of zero, here as in a range.
                if offset == 0 { throw fail("an offset must not be zero", at: durationAt) }
                expression = try applying(offset, to: expression, at: position)
            } else if token.kind == .at {
                let position = advance().position
                let time = try pinnedTime()
                switch expression {
                case .vector, .matrix, .subquery: expression = .pinned(expression, at: time)
                case .pinned: throw fail("@ <timestamp> may not be set multiple times", at: position)
                default:
                    throw fail(
                        "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery",
                        at: position)
                }
            } else {
                return expression
            }
        }
    }

    /// `expression offset d`, the offset set where the selector or subquery (under any `@`) keeps it.
    private func applying(_ offset: Int64, to expression: Expression, at position: Int) throws(QueryError)
        -> Expression
    {
        switch expression {
        case .vector(var selector) where selector.offset == 0:
            selector.offset = offset
            return .vector(selector)
        case .matrix(var selector, let range) where selector.offset == 0:
            selector.offset = offset
            return .matrix(selector, range: range)
        case .subquery(let inner, let range, let step, 0):
            return .subquery(inner, range: range, step: step, offset: offset)
        case .pinned(let inner, let time):
            return .pinned(try applying(offset, to: inner, at: position), at: time)
        case .vector, .matrix, .subquery:
            throw fail("offset may not be set multiple times", at: position)
        default:
            throw fail(
                "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery",
                at: position)
        }
    }

    /// After `@`: a time in seconds (`@ 1609746000`, `@ -10.5`), `start()` or `end()`.
    private mutating func pinnedTime() throws(QueryError) -> PinnedTime {
        if case .identifier(let name) = token.kind, name == "start" || name == "end" {
            _ = advance()
            try expect(.leftParen, "'('")
            try expect(.rightParen, "')'")
            return name == "start" ? .start : .end
        }
        var sign = 1.0
        if case .symbol("-") = token.kind {
            sign = -1
            _ = advance()
        } else if case .symbol("+") = token.kind {
            _ = advance()
        }
        guard case .number(let seconds) = token.kind else {
            throw unexpected("a timestamp, start() or end() after @")
        }
        // Prometheus' rounding (timestamp.FromFloatSeconds) and message (%f). Its bound is the
        // 64-bit range, where windows reaching back from the time overflow: ours is the times a
        // store and the API take (years 1 to 9999).
        let milliseconds = (sign * seconds * 1000).rounded()
        guard milliseconds.isFinite, let time = Int64(exactly: milliseconds),
            SampleAdmission.storableTimestamps.contains(time)
        else {
            throw fail("timestamp out of bounds for @ modifier: \(QueryError.goFixed(sign * seconds))")
        }
        _ = advance()
        return .time(time)
    }

    mutating func durationValue(_ what: String) throws(QueryError) -> Int64 {
        switch token.kind {
        case .duration(let milliseconds):
            _ = advance()
            return milliseconds
        case .number(let seconds) where seconds.isFinite && seconds == seconds.rounded():
            // Prometheus reads a bare number in a range as seconds.
            guard let milliseconds = Int64(exactly: seconds * 1000),
                abs(milliseconds) <= Duration.prometheusMaximumMilliseconds
            else { throw fail("duration out of range: at most 292 years") }
            _ = advance()
            return milliseconds
        default:
            throw unexpected(what)
        }
    }

    // MARK: Primaries

    mutating func parsePrimary() throws(QueryError) -> Expression {
        let start = token
        switch start.kind {
        case .number(let value):
            _ = advance()
            return .number(value)
        case .string(let value):
            _ = advance()
            return .string(value)
        case .leftParen:
            _ = advance()
            let inner = try parseBinary(minimum: 1)
            try expect(.rightParen, "')'")
            return .parenthesis(inner)
        case .leftBrace:
            return .vector(try parseSelector(name: nil))
        case .duration:
            throw fail("unexpected duration: durations go in [...] ranges and after offset")
        case .identifier(let name):
            if let aggregation = Aggregation(rawValue: name.lowercased()),
                peekKind() == .leftParen || isAggregationModifier(peekKind())
            {
                _ = advance()
                return try parseAggregation(aggregation, at: start.position)
            }
            if ["limitk", "limit_ratio"].contains(name.lowercased()) {
                throw fail("aggregation \(name) is not supported by IOC")
            }
            if peekKind() == .leftParen {
                _ = advance()
                return try parseCall(name, at: start.position)
            }
            if ["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"].contains(
                name.lowercased())
            {
                throw unexpected("an expression")
            }
            _ = advance()
            return .vector(try parseSelector(name: name))
        default:
            throw unexpected("an expression")
        }
    }

    func isAggregationModifier(_ kind: Token.Kind) -> Bool {
        if case .identifier(let word) = kind { return ["by", "without"].contains(word.lowercased()) }
        return false
    }

    mutating func parseSelector(name: String?) throws(QueryError) -> VectorSelector {
        let start = token.position
        var matchers: [LabelMatcher] = []
        if let name { matchers.append(try matcher(Labels.metricName, .equal, name, at: start)) }
        if token.kind == .leftBrace {
            _ = advance()
            while token.kind != .rightBrace {
                let labelPosition = token.position
                let label: String
                switch token.kind {
                case .identifier(let word): label = word
                case .string(let quoted) where name == nil && matchers.isEmpty && peekKind() != .symbol("="):
                    // Prometheus 3's quoted metric name: {"metric.name", job="a"}.
                    label = Labels.metricName
                    _ = advance()
                    matchers.append(try matcher(label, .equal, quoted, at: labelPosition))
                    if token.kind == .comma {
                        _ = advance()
                    } else if token.kind != .rightBrace {
                        throw unexpected("',' or '}'")
                    }
                    continue
                case .string(let quoted): label = quoted
                case .end: throw fail("unclosed '{': expected a label name or '}'")
                default: throw unexpected("a label name")
                }
                _ = advance()
                let op: LabelMatcher.Operator
                switch token.kind {
                case .symbol("="): op = .equal
                case .symbol("!="): op = .notEqual
                case .symbol("=~"): op = .matchesRegex
                case .symbol("!~"): op = .doesNotMatchRegex
                default: throw unexpected("'=', '!=', '=~' or '!~' after label name '\(label)'")
                }
                _ = advance()
                let valuePosition = token.position
                guard case .string(let value) = token.kind else { throw unexpected("a quoted string") }
                _ = advance()
                matchers.append(try matcher(label, op, value, at: valuePosition))
                if token.kind == .comma {
                    _ = advance()
                } else if token.kind != .rightBrace {
                    throw token.kind == .end ? fail("unclosed '{': expected ',' or '}'") : unexpected("',' or '}'")
                }
            }
            _ = advance()
        }
        if matchers.filter({ $0.name == Labels.metricName }).count > 1 && name != nil {
            throw fail("metric name must not be set twice", at: start)
        }
        guard matchers.contains(where: { !$0.matchesEmpty }) else {
            throw fail(
                "vector selector must contain at least one non-empty matcher", at: start)
        }
        defer { selectorCount += 1 }
        return VectorSelector(matchers: matchers, offset: 0, index: selectorCount)
    }

    func matcher(_ name: String, _ op: LabelMatcher.Operator, _ value: String, at position: Int)
        throws(QueryError) -> LabelMatcher
    {
        do {
            return try LabelMatcher(name, op, value)
        } catch {
            throw QueryError(query: text, byteOffset: position, "\(error)")
        }
    }

    mutating func labelList() throws(QueryError) -> [String] {
        try expect(.leftParen, "'('")
        var labels: [String] = []
        while token.kind != .rightParen {
            switch token.kind {
            case .identifier(let name): labels.append(name)
            case .string(let name): labels.append(name)
            default: throw unexpected("a label name or ')'")
            }
            _ = advance()
            try listSeparator()
        }
        _ = advance()
        return labels
    }

    /// After an item of a parenthesised list: a comma, or the closing parenthesis next.
    mutating func listSeparator() throws(QueryError) {
        if token.kind == .comma {
            _ = advance()
        } else if token.kind != .rightParen {
            throw unexpected("',' or ')'")
        }
    }

    mutating func parseGrouping() throws(QueryError) -> Grouping? {
        guard isKeyword("by") || isKeyword("without") else { return nil }
        let without = isKeyword("without")
        _ = advance()
        return Grouping(without: without, labels: try labelList())
    }
}

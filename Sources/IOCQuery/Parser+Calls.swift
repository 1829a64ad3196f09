import IOCCore

/// Calls of functions and aggregations, and their arguments.
extension Parser {
    /// Expressions separated by commas up to and including ')'; unlike a grouping's label list,
    /// no comma may end them, as in Prometheus.
    mutating func parseArguments() throws(QueryError) -> [Expression] {
        var arguments: [Expression] = []
        while token.kind != .rightParen {
            arguments.append(try parseBinary(minimum: 1))
            guard token.kind == .comma else {
                try listSeparator()
                continue
            }
            let comma = advance()
            if token.kind == .rightParen {
                throw fail("trailing commas not allowed in function call args", at: comma.position)
            }
        }
        _ = advance()
        return arguments
    }

    mutating func parseAggregation(_ aggregation: Aggregation, at position: Int) throws(QueryError)
        -> Expression
    {
        var grouping = try parseGrouping()
        try expect(.leftParen, "'(' after \(aggregation.rawValue)")
        let arguments = try parseArguments()
        if let after = try parseGrouping() {
            guard grouping == nil else { throw fail("grouping given twice for \(aggregation.rawValue)", at: position) }
            grouping = after
        }
        let expected = aggregation.parameter == nil ? 1 : 2
        guard arguments.count == expected else {
            throw fail(
                "wrong number of arguments for aggregate expression provided, expected \(expected), got \(arguments.count)",
                at: position)
        }
        let vector = arguments[arguments.count - 1]
        guard vector.type == .vector else {
            throw fail(
                "expected type instant vector in aggregation expression, got \(vector.type.rawValue)", at: position)
        }
        var parameter: Expression?
        if let type = aggregation.parameter {
            parameter = arguments[0]
            guard arguments[0].type == type else {
                throw fail(
                    "expected type \(type.rawValue) in aggregation parameter, got \(arguments[0].type.rawValue)",
                    at: position)
            }
        }
        return .aggregation(aggregation, vector, parameter: parameter, grouping ?? Grouping())
    }

    mutating func parseCall(_ name: String, at position: Int) throws(QueryError) -> Expression {
        guard let function = Function.all[name] else {
            throw fail(
                Function.unsupported.contains(name)
                    ? "function \"\(name)\" is not supported by IOC" : "unknown function with name \"\(name)\"",
                at: position)
        }
        try expect(.leftParen, "'('")
        let arguments = try parseArguments()
        let least = function.arguments.count - function.optional
        if arguments.count < least || (!function.variadic && arguments.count > function.arguments.count) {
            throw fail(
                "expected \(function.optional > 0 ? "\(least) to \(function.arguments.count)" : "\(least)") argument(s) in call to \"\(name)\", got \(arguments.count)",
                at: position)
        }
        for (offset, argument) in arguments.enumerated() {
            let expected = function.arguments[min(offset, function.arguments.count - 1)]
            guard argument.type == expected else {
                throw fail(
                    "expected type \(expected.rawValue) in call to function \"\(name)\", got \(argument.type.rawValue)",
                    at: position)
            }
        }
        return .call(function, arguments)
    }
}

public import IOCCore

/// The four kinds of value a PromQL expression has.
public enum ValueType: String, Sendable {
    case scalar, vector = "instant vector", matrix = "range vector", string

    /// The type of a binary operation between sides of these types.
    static func ofBinary(_ left: ValueType, _ right: ValueType) -> ValueType {
        left == .scalar && right == .scalar ? .scalar : .vector
    }
}

/// The time of an `@` modifier: milliseconds since the epoch, or the range query's start or end
/// (an instant query's time for both).
public enum PinnedTime: Sendable, Equatable {
    case time(Int64)
    case start
    case end
}

/// An instant-vector selector inside an expression: its matchers and offset, and a number the
/// engine uses to find the data it loaded for it.
public struct VectorSelector: Sendable, Equatable {
    public var matchers: [LabelMatcher]
    /// Milliseconds back from the evaluation time.
    public var offset: Int64 = 0
    var index = 0

    /// Whether every series it selects has the same metric name (it asks for one by equality).
    var namesOneMetric: Bool { matchers.contains { $0.name == "__name__" && $0.op == .equal } }
}

/// A parsed PromQL expression.
public indirect enum Expression: Sendable {
    case number(Double)
    case string(String)
    case vector(VectorSelector)
    /// A range-vector selector: `selector[range]`.
    case matrix(VectorSelector, range: Int64)
    /// `expression[range:step] offset d`; a nil step takes the engine's default.
    case subquery(Expression, range: Int64, step: Int64?, offset: Int64)
    /// A selector or subquery with the `@` modifier: evaluated at that time whatever the step's.
    case pinned(Expression, at: PinnedTime)
    case parenthesis(Expression)
    case negation(Expression)
    case binary(BinaryOperator, Expression, Expression, VectorMatching)
    case aggregation(Aggregation, Expression, parameter: Expression?, Grouping)
    case call(Function, [Expression])

    /// The kind of value the expression evaluates to.
    public var type: ValueType {
        switch self {
        case .number: .scalar
        case .string: .string
        case .vector: .vector
        case .matrix, .subquery: .matrix
        case .parenthesis(let inner), .negation(let inner), .pinned(let inner, _): inner.type
        case .binary(_, let left, let right, _): ValueType.ofBinary(left.type, right.type)
        case .aggregation: .vector
        case .call(let function, _): function.returns
        }
    }

    /// The expressions directly inside this one.
    var children: [Expression] {
        switch self {
        case .number, .string, .vector, .matrix: []
        case .subquery(let inner, _, _, _), .parenthesis(let inner), .negation(let inner), .pinned(let inner, _):
            [inner]
        case .binary(_, let left, let right, _): [left, right]
        case .aggregation(_, let inner, let parameter, _): [inner] + (parameter.map { [$0] } ?? [])
        case .call(_, let arguments): arguments
        }
    }

    /// Whether it gives the same at every evaluation time: it reads data only through `@` and does
    /// not ask for the time (`time()`, a date function of the time).
    var isStepInvariant: Bool {
        switch self {
        case .number, .string, .pinned: true
        case .vector, .matrix, .subquery: false
        case .parenthesis(let inner), .negation(let inner): inner.isStepInvariant
        case .binary(_, let left, let right, _): left.isStepInvariant && right.isStepInvariant
        case .aggregation(_, let inner, let parameter, _):
            inner.isStepInvariant && (parameter?.isStepInvariant ?? true)
        case .call(let function, let arguments):
            function.name != "time" && !(arguments.isEmpty && Evaluation.dateFunctions[function.name] != nil)
                && arguments.allSatisfy(\.isStepInvariant)
        }
    }

    /// Whether it is an instant vector selector, with an `@` or not.
    var isSelector: Bool {
        switch self {
        case .vector, .pinned(.vector, _): true
        default: false
        }
    }

    /// The expression inside any parentheses around it.
    var withoutParentheses: Expression {
        var inner = self
        while case .parenthesis(let next) = inner { inner = next }
        return inner
    }

    /// The number of levels of the tree, counted without recursion (the tree may be deeper than a
    /// stack allows: that is what this is asked to find out).
    public var depth: Int {
        var deepest = 0
        var pending: [(Expression, Int)] = [(self, 1)]
        while let (expression, level) = pending.popLast() {
            deepest = Swift.max(deepest, level)
            for child in expression.children { pending.append((child, level + 1)) }
        }
        return deepest
    }
}

public enum BinaryOperator: String, Sendable, CaseIterable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%", power = "^", atan2
    case equal = "==", notEqual = "!=", greater = ">", less = "<", greaterOrEqual = ">=", lessOrEqual = "<="
    case and, or, unless

    /// Binding strength: `or` weakest, `^` strongest.
    var precedence: Int {
        switch self {
        case .or: 1
        case .and, .unless: 2
        case .equal, .notEqual, .greater, .less, .greaterOrEqual, .lessOrEqual: 3
        case .add, .subtract: 4
        case .multiply, .divide, .modulo, .atan2: 5
        case .power: 6
        }
    }

    var isComparison: Bool { precedence == 3 }
    var isSetOperator: Bool { self == .and || self == .or || self == .unless }
}

/// How the two sides of a binary operation between vectors are matched.
public struct VectorMatching: Sendable, Equatable {
    public enum Cardinality: Sendable, Equatable { case oneToOne, manyToOne, oneToMany, manyToMany }
    public var cardinality: Cardinality = .oneToOne
    /// `on(labels)`: true; `ignoring(labels)` or neither: false.
    public var on = false
    public var labels: [String] = []
    /// The labels `group_left(...)` or `group_right(...)` copy from the "one" side.
    public var include: [String] = []
    /// `bool` after a comparison: 0 or 1 instead of filtering.
    public var returnBool = false
}

public struct Grouping: Sendable, Equatable {
    public var without = false
    public var labels: [String] = []

    /// Whether label `name` is part of a group's labels.
    func keeps(_ name: String) -> Bool {
        without ? name != Labels.metricName && !labels.contains(name) : labels.contains(name)
    }

    /// The groups of `items`, in order of first appearance: each group's labels and the positions
    /// of its members. Found by the fingerprint of the kept labels, which are built once per group.
    func assign(_ items: some Sequence<Labels>) -> (keys: [Labels], members: [[Int]]) {
        var positions: [Fingerprint: Int] = [:]
        var keys: [Labels] = []
        var members: [[Int]] = []
        for (index, labels) in items.enumerated() {
            let fingerprint =
                without ? labels.fingerprint(excluding: self.labels) : labels.fingerprint(ofNames: self.labels)
            if let position = positions[fingerprint] {
                members[position].append(index)
            } else {
                positions[fingerprint] = keys.count
                keys.append(labels.keeping(keeps))
                members.append([index])
            }
        }
        return (keys, members)
    }
}

public enum Aggregation: String, Sendable, CaseIterable {
    case sum, avg, min, max, count, group, stddev, stdvar, topk, bottomk, quantile
    case countValues = "count_values"

    /// The type of the parameter before the vector, if the aggregation takes one.
    var parameter: ValueType? {
        switch self {
        case .topk, .bottomk, .quantile: .scalar
        case .countValues: .string
        default: nil
        }
    }
}

/// A function: its name, the types of its arguments (the last `optional` of them may be left out,
/// and a variadic one repeats the last), and what it returns.
public struct Function: Sendable, Equatable {
    public var name: String
    var arguments: [ValueType]
    var optional = 0
    var variadic = false
    var returns: ValueType = .vector

    static let all: [String: Function] = {
        var functions: [Function] = []
        for name in ["rate", "irate", "increase", "delta", "idelta", "deriv", "resets", "changes"] {
            functions.append(Function(name: name, arguments: [.matrix]))
        }
        functions.append(Function(name: "predict_linear", arguments: [.matrix, .scalar]))
        functions.append(Function(name: "holt_winters", arguments: [.matrix, .scalar, .scalar]))
        for name in [
            "avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time", "last_over_time",
            "stddev_over_time", "stdvar_over_time", "present_over_time", "absent_over_time",
        ] {
            functions.append(Function(name: name, arguments: [.matrix]))
        }
        functions.append(Function(name: "quantile_over_time", arguments: [.scalar, .matrix]))
        for name in [
            "abs", "ceil", "floor", "sqrt", "exp", "ln", "log2", "log10", "absent", "timestamp", "sort",
            "sort_desc", "sgn", "deg", "rad", "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin",
            "sinh", "tan", "tanh",
        ] {
            functions.append(Function(name: name, arguments: [.vector]))
        }
        functions.append(Function(name: "round", arguments: [.vector, .scalar], optional: 1))
        functions.append(Function(name: "clamp", arguments: [.vector, .scalar, .scalar]))
        functions.append(Function(name: "clamp_min", arguments: [.vector, .scalar]))
        functions.append(Function(name: "clamp_max", arguments: [.vector, .scalar]))
        functions.append(Function(name: "time", arguments: [], returns: .scalar))
        functions.append(Function(name: "pi", arguments: [], returns: .scalar))
        functions.append(Function(name: "vector", arguments: [.scalar]))
        functions.append(Function(name: "scalar", arguments: [.vector], returns: .scalar))
        functions.append(
            Function(name: "label_replace", arguments: [.vector, .string, .string, .string, .string]))
        functions.append(
            Function(name: "label_join", arguments: [.vector, .string, .string, .string], optional: 1, variadic: true))
        functions.append(Function(name: "histogram_quantile", arguments: [.scalar, .vector]))
        for name in [
            "day_of_week", "day_of_month", "day_of_year", "days_in_month", "hour", "minute", "month", "year",
        ] {
            functions.append(Function(name: name, arguments: [.vector], optional: 1))
        }
        return Dictionary(uniqueKeysWithValues: functions.map { ($0.name, $0) })
    }()

    /// Prometheus functions IOC does not evaluate: refused by name rather than called unknown.
    static let unsupported: Set<String> = [
        "double_exponential_smoothing", "sort_by_label", "sort_by_label_desc",
        "histogram_count", "histogram_sum", "histogram_avg", "histogram_fraction", "histogram_stddev",
        "histogram_stdvar", "mad_over_time", "first_over_time", "ts_of_max_over_time", "ts_of_min_over_time",
        "ts_of_last_over_time", "info", "limitk", "limit_ratio",
    ]
}

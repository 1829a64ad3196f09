/// A place in a configuration file: 1-based line and column, as editors count them.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// A configuration problem an administrator can act on: where it is, what is wrong, what was expected.
/// Printed as `probes/hn.yaml:12:5: 'timeout' (20s) must be shorter than 'interval' (15s)`.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// EX_CONFIG from sysexits.h, the exit status of a command stopped by a configuration problem:
    /// restarting will not help.
    public static let exitCode: Int32 = 78

    /// Where the problem is; nil when it concerns a whole file (for example one that cannot be read).
    public var location: SourceLocation?
    public var file: String
    public var message: String

    public init(at location: SourceLocation, _ message: String) {
        self.location = location
        self.file = location.file
        self.message = message
    }

    public init(file: String, _ message: String) {
        self.location = nil
        self.file = file
        self.message = message
    }

    public var description: String {
        if let location { return "\(location): \(message)" }
        return "\(file): \(message)"
    }
}

/// Several configuration problems found in one pass, so that an administrator fixes them all at once.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(_ errors: [ConfigError]) { self.errors = errors }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

import Foundation

/// A credential read from a file or an environment variable. It prints as `<secret>`, so that no log
/// line or error message can show it.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public let value: String

    public init(_ value: String) { self.value = value }

    public var description: String { "<secret>" }
    public var debugDescription: String { "<secret>" }

    /// Reads a secret from a file (a trailing newline is dropped); nil if the file cannot be read.
    public static func fromFile(_ path: String) -> Secret? { ConfigNode.readSecret(atPath: path).map(Secret.init) }

    /// Reads a secret from an environment variable; nil if it is unset or empty.
    public static func fromEnvironment(_ name: String) -> Secret? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return Secret(value)
    }

    /// Reads a secret from a configuration mapping that offers `<prefix>file` and `<prefix>env` keys
    /// (`password_file`, `password_env`; `file`, `env`). Inline secrets are refused: configuration files
    /// are copied, committed and shown around more than secrets should be.
    public static func read(from mapping: ConfigMapping, prefix: String, what: String) throws(ConfigError) -> Secret {
        if let fileNode = mapping[prefix + "file"] {
            return try fileNode.secretFile("the \(what) file")
        }
        if let envNode = mapping[prefix + "env"] {
            let name = try envNode.string("\(prefix)env")
            guard let secret = fromEnvironment(name) else {
                throw envNode.error("the environment variable '\(name)' for the \(what) is not set")
            }
            return secret
        }
        throw mapping.node.error(
            "\(mapping.what) needs '\(prefix)file' or '\(prefix)env': secrets are read from a file or the environment, never written inline"
        )
    }
}

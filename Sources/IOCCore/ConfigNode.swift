import Foundation
import Yams

/// A YAML document as configuration loaders read it: every node knows where it came from, so every
/// error names file, line and column. Loaders read mappings strictly: an unknown key is an error.
public struct ConfigNode: Sendable {
    public enum Value: Sendable {
        case null
        case scalar(String)
        case mapping([ConfigEntry])
        case sequence([ConfigNode])
    }

    public let value: Value
    public let location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }

    /// Parses one YAML document. An empty document is a null node.
    public static func parse(yaml text: String, file: String) throws(ConfigError) -> ConfigNode {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigNode.translate(error, file: file)
        } catch {
            throw ConfigError(file: file, "cannot parse YAML: \(error)")
        }
        guard let node else { return ConfigNode(.null, at: SourceLocation(file: file, line: 1, column: 1)) }
        return try ConfigNode(yams: node, file: file)
    }

    private init(yams node: Node, file: String) throws(ConfigError) {
        let mark = node.mark
        let location = SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
        switch node {
        case .scalar(let scalar):
            let isNull =
                scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
            self.init(isNull ? .null : .scalar(scalar.string), at: location)
        case .mapping(let mapping):
            var entries: [ConfigEntry] = []
            for (key, value) in mapping {
                let keyLocation = SourceLocation(
                    file: file, line: key.mark?.line ?? location.line, column: key.mark?.column ?? location.column)
                guard case .scalar(let keyScalar) = key else {
                    throw ConfigError(at: keyLocation, "a mapping key must be a plain string")
                }
                entries.append(
                    ConfigEntry(
                        key: keyScalar.string, keyLocation: keyLocation, value: try ConfigNode(yams: value, file: file))
                )
            }
            self.init(.mapping(entries), at: location)
        case .sequence(let sequence):
            var items: [ConfigNode] = []
            for item in sequence { items.append(try ConfigNode(yams: item, file: file)) }
            self.init(.sequence(items), at: location)
        case .alias:
            throw ConfigError(at: location, "YAML aliases are not supported in configuration files")
        }
    }

    private static func translate(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return ConfigError(
                at: SourceLocation(file: file, line: mark.line, column: mark.column), "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigError(
                at: SourceLocation(file: file, line: context.mark.line, column: context.mark.column),
                "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in mapping")
        default:
            return ConfigError(file: file, "invalid YAML: \(error)")
        }
    }

    public func error(_ message: String) -> ConfigError { ConfigError(at: location, message) }

    /// What kind of node this is, for error messages.
    public var kindName: String {
        switch value {
        case .null: "nothing"
        case .scalar(let text): "'\(text)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        }
    }

    /// Reads this node as a mapping whose keys must all be in `allowedKeys`.
    /// `what` names the mapping in errors ("target", "storage").
    public func mapping(of what: String, allowedKeys: [String]) throws(ConfigError) -> ConfigMapping {
        guard case .mapping(let entries) = value else {
            throw error("expected \(what) as a mapping of keys, found \(kindName)")
        }
        for entry in entries where !allowedKeys.contains(entry.key) {
            var message = "unknown key '\(entry.key)' in \(what)"
            if let suggestion = ConfigNode.closest(to: entry.key, among: allowedKeys) {
                message += " (did you mean '\(suggestion)'?)"
            }
            message += "; expected one of: \(allowedKeys.joined(separator: ", "))"
            throw ConfigError(at: entry.keyLocation, message)
        }
        return ConfigMapping(node: self, what: what, entries: entries)
    }

    /// Reads a list; a null node is an empty list.
    public func sequence(of what: String) throws(ConfigError) -> [ConfigNode] {
        switch value {
        case .null: return []
        case .sequence(let items): return items
        default: throw error("expected \(what) as a list, found \(kindName)")
        }
    }

    public func string(_ what: String) throws(ConfigError) -> String {
        guard case .scalar(let text) = value else { throw error("expected \(what) as a string, found \(kindName)") }
        return text
    }

    public func duration(_ what: String) throws(ConfigError) -> Duration {
        let text = try string(what)
        guard let duration = Duration(prometheus: text) else {
            throw error("'\(text)' is not a duration for \(what); expected a number with a unit, like 15s, 5m or 1h30m")
        }
        return duration
    }

    /// A duration of at least `minimum`; `reason` says why, after the limit.
    public func duration(_ what: String, atLeast minimum: Duration, reason: String = "") throws(ConfigError) -> Duration
    {
        let value = try duration(what)
        guard value >= minimum else {
            throw error("\(what) must be at least \(minimum.prometheusString)\(reason.isEmpty ? "" : ": " + reason)")
        }
        return value
    }

    public func int(_ what: String) throws(ConfigError) -> Int {
        let text = try string(what)
        guard let number = Int(text) else { throw error("'\(text)' is not a whole number for \(what)") }
        return number
    }

    public func bool(_ what: String) throws(ConfigError) -> Bool {
        switch try string(what) {
        case "true", "True", "TRUE", "yes": return true
        case "false", "False", "FALSE", "no": return false
        case let text: throw error("'\(text)' is not true or false for \(what)")
        }
    }

    /// Reads a mapping of label names to values, checking names against Prometheus' label-name syntax.
    public func labels(_ what: String) throws(ConfigError) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for (name, value) in try labelEntries(what) {
            pairs.append((name, try value.string("the value of label '\(name)'")))
        }
        return pairs
    }

    /// The entries of a mapping of label names to values, names checked (a null node: none).
    public func labelEntries(_ what: String) throws(ConfigError) -> [(name: String, value: ConfigNode)] {
        guard case .mapping(let entries) = value else {
            if case .null = value { return [] }
            throw error("expected \(what) as a mapping of label names to values, found \(kindName)")
        }
        return try entries.map { entry throws(ConfigError) in
            guard ConfigNode.isValidLabelName(entry.key) else {
                throw ConfigError(
                    at: entry.keyLocation,
                    "'\(entry.key)' is not a valid label name; expected letters, digits and '_', not starting with a digit or '__'"
                )
            }
            return (entry.key, entry.value)
        }
    }

    public static func isValidLabelName(_ name: String) -> Bool {
        Labels.isClassicLabelName(name) && !name.hasPrefix("__")
    }

    /// The allowed key nearest to a misspelt one, if it is near enough to be a likely typo.
    static func closest(to key: String, among candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(key, $0)) }.min { $0.1 < $1.1 }
        guard let (candidate, distance) = scored, distance <= max(1, key.count / 3) else { return nil }
        return candidate
    }

    static func editDistance(_ left: String, _ right: String) -> Int {
        let a = Array(left)
        let b = Array(right)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}

/// One key of a mapping with where the key was written.
public struct ConfigEntry: Sendable {
    public let key: String
    public let keyLocation: SourceLocation
    public let value: ConfigNode
}

/// A mapping whose keys have been checked; values are looked up by key.
public struct ConfigMapping: Sendable {
    public let node: ConfigNode
    public let what: String
    public let entries: [ConfigEntry]

    /// The value of `key`, or nil when the key is absent or its value is null.
    public subscript(key: String) -> ConfigNode? {
        guard let entry = entries.first(where: { $0.key == key }) else { return nil }
        if case .null = entry.value.value { return nil }
        return entry.value
    }

    public func required(_ key: String) throws(ConfigError) -> ConfigNode {
        guard let value = self[key] else { throw node.error("\(what) is missing the required key '\(key)'") }
        return value
    }
}

extension ConfigNode {
    /// An http:// or https:// URL. A URL with a user name or password in it is refused: it would
    /// become a label (`instance`) that is stored, served and sent, and be logged with every error.
    public func httpURL(_ what: String) throws(ConfigError) -> String {
        let url = try string(what)
        let lowered = url.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"), url.count > 8,
            !url.unicodeScalars.contains(where: { $0 == " " || ControlCharacters.isControl($0) })
        else {
            throw error("'\(ConfigNode.redactingUserinfo(url))' is not an http:// or https:// URL")
        }
        let afterScheme = url[url.index(url.startIndex, offsetBy: lowered.hasPrefix("https://") ? 8 : 7)...]
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if authority.contains("@") {
            throw error(
                "\(what) '\(ConfigNode.redactingUserinfo(url))' has a user name or password in it, which would be "
                    + "stored and shown as the target's address; use 'basic_auth' with 'password_file' (or "
                    + "'bearer_token_file') and a URL without them")
        }
        return url
    }

    /// `url` with anything between the scheme and an `@` in its authority replaced by `<secret>`.
    public static func redactingUserinfo(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@") else { return url }
        return String(url[..<scheme.upperBound]) + "<secret>" + String(url[at...])
    }

    /// A file path: `$CREDENTIALS_DIRECTORY` (systemd's `LoadCredential=`) expanded, then a relative
    /// path resolved against the folder of the file this node came from, the same for every key.
    public func filePath(_ what: String) throws(ConfigError) -> String {
        var path = try string(what)
        for variable in ["${CREDENTIALS_DIRECTORY}", "$CREDENTIALS_DIRECTORY"] where path.contains(variable) {
            guard let directory = ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty
            else {
                throw error(
                    "\(what) '\(path)' names $CREDENTIALS_DIRECTORY, which is not set (it is set by systemd "
                        + "for a unit with LoadCredential=)")
            }
            path = path.replacingOccurrences(of: variable, with: directory)
        }
        guard !path.isEmpty else { throw error("\(what) must not be empty") }
        if path.hasPrefix("/") { return path }
        let file = location.file
        guard let slash = file.lastIndex(of: "/") else { return path }
        return String(file[...slash]) + path
    }

    /// The contents of the secret file this node names (see `filePath`). The error names the file,
    /// never what it holds.
    public func secretFile(_ what: String) throws(ConfigError) -> Secret {
        let path = try filePath(what)
        guard let text = ConfigNode.readSecret(atPath: path) else { throw error("cannot read \(what) '\(path)'") }
        return Secret(text)
    }

    /// A secret file's text without its trailing line breaks (what an editor or `echo` adds); nil
    /// when it cannot be read. Every secret file IOC reads goes through here.
    public static func readSecret(atPath path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        var text = String(decoding: data, as: UTF8.self)
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }
}

import Foundation
import Glibc
import IOCCore
public import Logging

/// iocd's log lines on standard error, one per event, in Prometheus' formats: logfmt (the default,
/// `ts=... level=info msg="..." key=value`) or JSON (`--log.format=json`). Under journald
/// (`JOURNAL_STREAM` names our stderr) each line starts with its syslog priority, `<4>`, and has no
/// timestamp (the journal adds one); on a terminal the level is coloured unless `NO_COLOR` is set.
/// Values are quoted and escaped as their format requires, so that a label value from a feed can
/// neither forge a line nor reach the terminal with its control characters.
public struct DaemonLogHandler: LogHandler {
    public enum Format: String, Sendable, CaseIterable { case logfmt, json }
    public enum Destination: Sendable { case journal, terminal, plain }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let format: Format
    let destination: Destination

    public init(label: String, level: Logger.Level, format: Format = .logfmt, destination: Destination? = nil) {
        self.label = label
        logLevel = level
        self.format = format
        self.destination =
            destination ?? DaemonLogHandler.detectDestination(environment: ProcessInfo.processInfo.environment)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Journald when `JOURNAL_STREAM` is the device and inode of our standard error; a terminal when
    /// standard error is one and neither `NO_COLOR` nor `TERM=dumb` says no colours; plain otherwise.
    public static func detectDestination(
        environment: [String: String], standardErrorIsTerminal: Bool? = nil
    ) -> Destination {
        if let stream = environment["JOURNAL_STREAM"] {
            var status = stat()
            if fstat(STDERR_FILENO, &status) == 0 && stream == "\(status.st_dev):\(status.st_ino)" { return .journal }
        }
        let colours = (environment["NO_COLOR"]?.isEmpty ?? true) && environment["TERM"] != "dumb"
        return (standardErrorIsTerminal ?? (isatty(STDERR_FILENO) == 1)) && colours ? .terminal : .plain
    }

    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    public func log(event: LogEvent) {
        let line = format(event.level, "\(event.message)", event.metadata)
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// One line: time (not under journald), level, the logger's name, the message, then the
    /// metadata sorted by key.
    public func format(_ level: Logger.Level, _ message: String, _ extra: Logger.Metadata?) -> String {
        var fields = metadata
        if let extra { fields.merge(extra) { $1 } }
        var pairs: [(String, String)] = []
        if destination != .journal { pairs.append(("ts", DaemonLogHandler.timestamp())) }
        pairs += [("level", level.rawValue), ("component", label), ("msg", message)]
        pairs += fields.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") }
        let text: String
        switch format {
        case .logfmt:
            text = pairs.map { key, value in
                let shown = DaemonLogHandler.logfmtKey(key) + "=" + DaemonLogHandler.logfmtValue(value)
                guard destination == .terminal, key == "level" else { return shown }
                return "\u{1B}[\(DaemonLogHandler.colour(level))m\(shown)\u{1B}[0m"
            }.joined(separator: " ")
        case .json:
            text =
                "{"
                + pairs.map { "\(DaemonLogHandler.jsonString($0)):\(DaemonLogHandler.jsonString($1))" }
                .joined(separator: ",") + "}"
        }
        return destination == .journal ? "<\(DaemonLogHandler.priority(level))>\(text)" : text
    }

    static func colour(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: "2"
        case .info: "0"
        case .notice: "36"
        case .warning: "33"
        case .error, .critical: "31;1"
        }
    }

    /// A logfmt key: what would end it or start a value (space, `=`, `"`, control characters)
    /// becomes `_`.
    static func logfmtKey(_ key: String) -> String {
        let cleaned = String(
            key.unicodeScalars.map { scalar -> Character in
                scalar.value <= 0x20 || scalar == "=" || scalar == "\"" || scalar.value == 0x7F
                    ? "_" : Character(scalar)
            })
        return cleaned.isEmpty ? "_" : cleaned
    }

    /// A logfmt value: bare when it holds nothing that would end it, otherwise in quotes with `\`
    /// and `"` escaped and control characters written out (`\n`, `\u001b`), as go-logfmt does.
    static func logfmtValue(_ value: String) -> String {
        let bare =
            !value.isEmpty
            && value.unicodeScalars.allSatisfy { scalar in
                scalar.value > 0x20 && scalar != "=" && scalar != "\"" && scalar != "\\" && !unsafe(scalar)
            }
        return bare ? value : jsonString(value)
    }

    /// A double-quoted string, valid both as JSON and as a quoted logfmt value.
    static func jsonString(_ value: String) -> String { ControlCharacters.quoted(value, escaping: unsafe) }

    /// What a terminal or a line-based reader would obey rather than show: control characters,
    /// bidirectional overrides, and the line and paragraph separators.
    static func unsafe(_ scalar: Unicode.Scalar) -> Bool {
        ControlCharacters.isControl(scalar) || ControlCharacters.isBidiOverride(scalar) || scalar.value == 0x2028
            || scalar.value == 0x2029
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(now.tv_nsec / 1_000_000))
    }
}

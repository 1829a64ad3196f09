import Foundation
import IOCAlert
import Glibc
public import Logging

/// iocd's log lines on standard error: under journald (`JOURNAL_STREAM` names our stderr) each line
/// starts with its syslog priority, `<4>`, and has no timestamp (the journal adds one); on a terminal
/// the level is coloured; otherwise plain text with a UTC timestamp. Control characters in messages
/// and metadata (a label value from a feed) are written out, so that nothing can forge a line.
public struct DaemonLogHandler: LogHandler {
    public enum Style: Sendable { case journal, terminal, plain }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let style: Style

    public init(label: String, level: Logger.Level, style: Style? = nil) {
        self.label = label
        logLevel = level
        self.style = style ?? DaemonLogHandler.detectStyle(environment: ProcessInfo.processInfo.environment)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Journald when `JOURNAL_STREAM` is the device and inode of our standard error, a terminal when
    /// standard error is one, plain otherwise.
    public static func detectStyle(environment: [String: String]) -> Style {
        if let stream = environment["JOURNAL_STREAM"] {
            var status = stat()
            if fstat(STDERR_FILENO, &status) == 0 && stream == "\(status.st_dev):\(status.st_ino)" { return .journal }
        }
        return isatty(STDERR_FILENO) == 1 ? .terminal : .plain
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

    public func format(_ level: Logger.Level, _ message: String, _ extra: Logger.Metadata?) -> String {
        var fields = metadata
        if let extra { fields.merge(extra) { $1 } }
        let rendered = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\(DaemonLogHandler.clean("\($0.value)"))" }
        let text = ([DaemonLogHandler.clean(message)] + rendered).joined(separator: " ")
        switch style {
        case .journal:
            return "<\(DaemonLogHandler.priority(level))>\(text)"
        case .terminal:
            let color: String
            switch level {
            case .trace, .debug: color = "2"
            case .info: color = "0"
            case .notice: color = "36"
            case .warning: color = "33"
            case .error, .critical: color = "31;1"
            }
            return "\(DaemonLogHandler.timestamp()) \u{1B}[\(color)m\(level.rawValue)\u{1B}[0m \(text)"
        case .plain:
            return "\(DaemonLogHandler.timestamp()) \(level.rawValue) \(label): \(text)"
        }
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

    /// Newlines and other control characters as `\n`, `\u001b`, as in syslog messages.
    static func clean(_ text: String) -> String { NotificationPayload.escapedControls(text) }
}

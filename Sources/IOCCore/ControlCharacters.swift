/// C0 and C1 control characters and DEL: what a terminal, a log line or a line-based format would
/// obey rather than show. One definition for every place that removes or escapes them.
public enum ControlCharacters {
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    public static func contained(in text: String) -> Bool { text.unicodeScalars.contains(where: isControl) }

    /// The bidirectional embeddings, overrides and isolates (U+202A–202E, U+2066–2069): shown as
    /// nothing, they reorder what follows, so that text reads other than it is.
    public static func isBidiOverride(_ scalar: Unicode.Scalar) -> Bool {
        (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
    }

    /// `\n`, `\r`, `\t`, and `\u001b`-like text for the others: what goes to a log line, a syslog
    /// message or a PromQL string cannot start a new line or act on a terminal.
    public static func escaped(_ text: String) -> String { escape(text, quoting: false) }

    /// `text` as a double-quoted string literal: `"` and `\` escaped, newline, return and tab as
    /// `\n`, `\r`, `\t`, and each other character `escaping` selects (by default the control
    /// characters) in `form`, by default `\u001b`. JSON's strings (`escaping` below U+0020),
    /// PromQL's and Go's `%q` (`\x1b`, DEL too) are all this.
    public static func quoted(
        _ text: String, escaping selected: (Unicode.Scalar) -> Bool = isControl,
        as form: (UInt32) -> String = unicodeEscape
    ) -> String {
        "\"" + escape(text, quoting: true, escaping: selected, as: form) + "\""
    }

    /// Go's `strconv.Quote` (and `%q`) of text it shows as it is: `\a \b \f \v` by their letters,
    /// the other controls below U+0020 and DEL as `\x1b`.
    public static func goQuoted(_ text: String) -> String {
        quoted(text, escaping: { $0.value < 0x20 || $0.value == 0x7F }, as: goEscape)
    }

    /// Go's escape of a control character or a byte: `\a \b \f \v`, else `\x1b`.
    public static func goEscape(_ value: UInt32) -> String {
        switch value {
        case 0x07: "\\a"
        case 0x08: "\\b"
        case 0x0B: "\\v"
        case 0x0C: "\\f"
        default: "\\x" + (value < 0x10 ? "0" : "") + String(value, radix: 16)
        }
    }

    /// `\u001b`: JSON's and PromQL's escape of a character by its code.
    public static func unicodeEscape(_ value: UInt32) -> String {
        let hex = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    private static func escape(
        _ text: String, quoting: Bool, escaping selected: (Unicode.Scalar) -> Bool = isControl,
        as form: (UInt32) -> String = unicodeEscape
    ) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"" where quoting: result += "\\\""
            case "\\" where quoting: result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where selected(scalar): result += form(scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

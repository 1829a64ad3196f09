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
    public static func escaped(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where isControl(scalar):
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

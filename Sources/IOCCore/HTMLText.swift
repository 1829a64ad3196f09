/// Text inside HTML (the report's printable page, a Telegram message in HTML mode): `&`, `<`, `>`,
/// `"` and `'` as entities, so that a label value or an annotation stays text and never markup.
public enum HTMLText {
    public static func escaped(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

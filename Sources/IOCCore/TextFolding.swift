import Foundation

/// Text as an operator types it to find something: Vietnamese folded to plain Latin letters and
/// lower case, so that `ha noi`, `hà nội` and `HA NOI` all find `Hà Nội`, and `hue` finds `Huế`.
public enum TextFolding {
    /// `text` without case, tone marks or vowel marks (`ă â ê ô ơ ư`), with `đ` as `d`.
    public static func folded(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.lowercased().decomposedStringWithCanonicalMapping.unicodeScalars {
            switch scalar {
            case "đ": result.append("d")
            case _ where scalar.properties.generalCategory == .nonspacingMark: continue
            default: result.append(scalar)
            }
        }
        return String(result)
    }

    /// Whether `needle`, folded, occurs in `haystack`, folded.
    public static func contains(_ haystack: String, _ needle: String) -> Bool {
        needle.isEmpty || folded(haystack).contains(folded(needle))
    }
}

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

    /// `values` in Vietnamese alphabetical order: a ă â b c d đ e ê … o ô ơ … u ư …, letter by letter
    /// and without regard to case, then by tone (none, grave, hook, tilde, acute, dot below) where
    /// the letters are the same. `Đà Nẵng` comes after `Điện Biên`'s `D…` neighbours, not among them.
    public static func sortedAlphabetically<S: Sequence<String>>(_ values: S) -> [String] {
        values.map { (key: collationKey($0), value: $0) }
            .sorted { ($0.key.letters, $0.key.tones, $0.value) < ($1.key.letters, $1.key.tones, $1.value) }
            .map(\.value)
    }

    /// The letters (each followed by its vowel mark as a digit, 0 for none) and, apart, the tones.
    static func collationKey(_ text: String) -> (letters: String, tones: String) {
        var letters: [Unicode.Scalar] = []
        var tones: [Unicode.Scalar] = []
        func mark(_ digit: Unicode.Scalar) { if !letters.isEmpty { letters[letters.count - 1] = digit } }
        func tone(_ digit: Unicode.Scalar) { if !tones.isEmpty { tones[tones.count - 1] = digit } }
        for scalar in text.lowercased().decomposedStringWithCanonicalMapping.unicodeScalars {
            switch scalar.value {
            case 0x0306: mark("1")  // ă
            case 0x0302: mark("2")  // â ê ô
            case 0x031B: mark("3")  // ơ ư
            case 0x0300: tone("1")
            case 0x0309: tone("2")
            case 0x0303: tone("3")
            case 0x0301: tone("4")
            case 0x0323: tone("5")
            case 0x0111:  // đ after every d
                letters += ["d", "4"]
                tones.append("0")
            default:
                if scalar.properties.generalCategory == .nonspacingMark { continue }
                letters += [scalar, "0"]
                tones.append("0")
            }
        }
        return (String(String.UnicodeScalarView(letters)), String(String.UnicodeScalarView(tones)))
    }
}

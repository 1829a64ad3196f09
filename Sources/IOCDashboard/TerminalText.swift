import IOCCore

/// Text as the terminal will show it: made safe, measured in columns, and clipped to fit.
/// None of it depends on the process locale, which a systemd service usually lacks.
public enum TerminalText {
    /// Removes everything that could act on the terminal instead of being shown: escape sequences
    /// (CSI, OSC, and the rest), C0 and C1 control characters, and bidirectional overrides.
    /// Tabs and line breaks become spaces. Apply it to every string that came from outside.
    public static func sanitize(_ text: String) -> String {
        var scalars = text.unicodeScalars.makeIterator()
        var out = String.UnicodeScalarView()
        while let scalar = scalars.next() {
            switch scalar.value {
            case 0x1B:
                skipEscapeSequence(&scalars)
            case 0x09, 0x0A, 0x0D:
                out.append(" ")
            case 0x00..<0x20, 0x7F, 0x80..<0xA0:
                // 0x9B is a one-byte CSI and 0x9D a one-byte OSC on some terminals: skip their bodies too.
                if scalar.value == 0x9B || scalar.value == 0x9D || scalar.value == 0x90 {
                    skipSequenceBody(introducer: scalar.value == 0x9B ? "[" : "]", &scalars)
                }
            case _ where ControlCharacters.isBidiOverride(scalar):
                break
            default:
                out.append(scalar)
            }
        }
        return String(out)
    }

    private static func skipEscapeSequence(_ scalars: inout String.UnicodeScalarView.Iterator) {
        guard let next = scalars.next() else { return }
        switch next {
        case "[", "]", "P", "X", "^", "_": skipSequenceBody(introducer: next, &scalars)
        default: break  // a two-character sequence such as ESC c: both characters are dropped
        }
    }

    /// Skips a CSI body up to its final byte, or a string sequence (OSC, DCS, ...) up to BEL or ST.
    private static func skipSequenceBody(introducer: Unicode.Scalar, _ scalars: inout String.UnicodeScalarView.Iterator)
    {
        if introducer == "[" {
            while let scalar = scalars.next() {
                if (0x40...0x7E).contains(scalar.value) { return }
            }
            return
        }
        var previousWasEscape = false
        while let scalar = scalars.next() {
            if scalar.value == 0x07 || scalar.value == 0x9C { return }
            if previousWasEscape && scalar == "\\" { return }
            previousWasEscape = scalar.value == 0x1B
        }
    }

    /// Columns a grapheme cluster takes: 2 for wide (CJK, emoji), 0 for a lone combining mark, else 1.
    /// A Vietnamese letter with its marks, precomposed (NFC) or not (NFD), is one cluster and one column.
    public static func width(of character: Character) -> Int {
        guard let first = character.unicodeScalars.first else { return 0 }
        // Most of a screen: Latin and Vietnamese letters (any combining marks after them stay in the
        // cluster), box drawing, blocks and braille, arrows. Unicode properties only for the rest.
        switch first.value {
        case 0x20..<0x300, 0x1E00..<0x1F00, 0x2190..<0x2200, 0x2500..<0x25A0, 0x2800..<0x2900: return 1
        default: break
        }
        let properties = first.properties
        if properties.generalCategory == .nonspacingMark || properties.generalCategory == .enclosingMark
            || first.value == 0x200B || first.value == 0x200D
        {
            return 0
        }
        if properties.isEmojiPresentation { return 2 }
        if character.unicodeScalars.contains(where: { $0.value == 0xFE0F }) && properties.isEmoji { return 2 }
        return isWide(first.value) ? 2 : 1
    }

    /// East Asian Wide and Fullwidth ranges.
    private static func isWide(_ value: UInt32) -> Bool {
        switch value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
            0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
            0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            return true
        default:
            return false
        }
    }

    /// Columns a whole string takes.
    public static func width(of text: String) -> Int {
        text.reduce(0) { $0 + width(of: $1) }
    }

    /// The string cut to at most `columns` columns, ending in "…" when something was cut. A wide
    /// character is never split.
    public static func clip(_ text: String, to columns: Int) -> String {
        guard columns > 0 else { return "" }
        guard width(of: text) > columns else { return text }
        var out = ""
        var used = 0
        for character in text {
            let next = width(of: character)
            if used + next > columns - 1 { break }
            out.append(character)
            used += next
        }
        return out + "…"
    }

    /// The string clipped to `columns` and padded with spaces to exactly that width.
    public static func pad(_ text: String, to columns: Int, alignRight: Bool = false) -> String {
        let clipped = clip(text, to: columns)
        let padding = String(repeating: " ", count: max(0, columns - width(of: clipped)))
        return alignRight ? padding + clipped : clipped + padding
    }
}

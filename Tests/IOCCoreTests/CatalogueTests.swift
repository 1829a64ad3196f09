import Foundation
import IOCCore
import Testing

/// The catalogue of the dashboard's and `ioc`'s words is complete: every key the code uses is in it,
/// with a Vietnamese and an English text that differ and share their placeholders; no key in it is
/// left unused.
@Suite struct CatalogueTests {
    /// The families of keys; a string literal in the code that starts so is a key.
    static let prefixes = [
        "dash", "app", "help", "targets", "state", "alerts", "severity", "change", "age", "unit", "table", "silence",
        "check", "probe", "store", "cmd", "remote",
    ]

    /// Keys the code puts together (`"severity." + name`): each family with every suffix the code
    /// can give it, from the types that give them.
    static let composed: [String: [String]] = [
        "severity.": ["critical", "warning", "info", "other"],
        "state.": ["up", "down", "stale", "degraded"],
        "change.": ["firing", "resolved", "pending", "cancelled"],
        "alerts.header.": ["state", "active_for", "severity", "alert", "labels", "summary", "time", "change"],
        "alerts.state.": ["firing", "pending", "silenced", "inhibited", "maintenance", "resolved"],
        "silence.header.": ["id", "state", "ends", "matchers", "by", "comment"],
        "probe.phase.": ["resolve", "connect", "tls", "processing", "transfer", "total"],
    ]

    /// Every key in the code: the string literals of the key families, and the composed ones.
    static func keysInCode() throws -> Set<String> {
        let pattern = try Regex(#""((?:"# + prefixes.joined(separator: "|") + #")\.[a-z0-9_.]*)""#)
        // `language.word("change", kind)`: the family's composed keys.
        let word = try Regex(#"\.word\("([a-z_.]+)""#)
        var keys: Set<String> = []
        for file in SourceShapeTests.swiftFiles() where !file.path.hasPrefix("IOCCore/Catalogue") {
            let text = file.lines.joined(separator: "\n")
            for match in text.matches(of: word) {
                guard let family = match.output[1].substring.map(String.init) else { continue }
                keys.formUnion(composed[family + ".", default: []].map { family + "." + $0 })
            }
            for match in text.matches(of: pattern) {
                guard let key = match.output[1].substring.map(String.init) else { continue }
                if let suffixes = composed[key] {
                    keys.formUnion(suffixes.map { key + $0 })
                } else if !key.hasSuffix(".") {
                    keys.insert(key)
                }
            }
        }
        return keys
    }

    @Test func everyKeyTheCodeUsesIsTranslated() throws {
        let used = try Self.keysInCode()
        #expect(used.count > 100, "the scan found the code's keys: \(used.count)")
        let missing = used.subtracting(Catalogue.keys).sorted()
        #expect(missing.isEmpty, "keys without a translation: \(missing)")
        let unused = Set(Catalogue.keys).subtracting(used).sorted()
        #expect(unused.isEmpty, "keys no code uses: \(unused)")
    }

    @Test func everyMessageHasBothLanguagesAndTheSamePlaceholders() throws {
        let placeholder = try Regex(#"\{[a-zA-Z]+\}"#)
        for key in Catalogue.keys.sorted() {
            let message = try #require(Catalogue.message(key))
            #expect(!message.vi.isEmpty && !message.en.isEmpty, "\(key)")
            if !Catalogue.sameInBothLanguages.contains(key) {
                #expect(message.vi != message.en, "\(key) is not translated")
            }
            let vi = Set(message.vi.matches(of: placeholder).map { String(message.vi[$0.range]) })
            let en = Set(message.en.matches(of: placeholder).map { String(message.en[$0.range]) })
            #expect(vi == en, "\(key): \(vi) vs \(en)")
        }
    }

    @Test func aMissingKeyShowsItselfAndPlaceholdersAreFilled() {
        #expect(Language.vi.localized("no.such.key") == "no.such.key")
        #expect(Language.vi.localized("alerts.more", ["count": "3"]) == "+3 nữa (ioc alerts)")
        #expect(Language.en.localized("alerts.more", ["count": "3"]) == "+3 more (ioc alerts)")
        // A value is put in once: a path holding `{user}` is not filled in again.
        let text = Language.en.localized("store.denied_read", ["path": "/srv/{user}/ioc.db", "user": "an"])
        #expect(text.hasPrefix("store /srv/{user}/ioc.db: permission denied: an may not read"), "\(text)")
        #expect(Language.vi.word("change", "firing") == "báo" && Language.vi.word("change", "odd") == "odd")
    }
}

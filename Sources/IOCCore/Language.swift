/// The language of what operators and leaders read: Vietnamese first (`vi`, the default), English
/// (`en`) beside it. iocd.yaml's `language` sets it for the centre; for `ioc`, `IOC_LANG`, then the
/// locale (`LC_ALL`, `LC_MESSAGES`, `LANG`) choose, then iocd.yaml, then Vietnamese.
public enum Language: String, Sendable, CaseIterable {
    case vi, en

    /// The language `ioc` speaks in: `IOC_LANG`, else a locale that names Vietnamese or English
    /// (`vi_VN.UTF-8`, `en_US.UTF-8`; `C` and `POSIX` name none), else `configured`, else Vietnamese.
    public static func resolve(environment: [String: String], configured: Language?) -> Language {
        if let chosen = environment["IOC_LANG"].flatMap(Language.init(locale:)) { return chosen }
        for name in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            guard let value = environment[name], !value.isEmpty else { continue }
            // The first of these that is set is the locale in force; it may name neither language.
            return Language(locale: value) ?? configured ?? .vi
        }
        return configured ?? .vi
    }

    /// `vi`, `vi_VN.UTF-8`, `en-GB`: the language a locale or tag names, if it is one of ours.
    public init?(locale: String) {
        let code = locale.lowercased().prefix { $0.isLetter }
        self.init(rawValue: String(code))
    }
}

/// An error or a result that can say itself in either language; others are shown as they describe
/// themselves.
public protocol LocalizedText {
    func text(_ language: Language) -> String
}

extension Language {
    /// What `ioc` prints for an error: in this language when the error can say itself so.
    public func describe(_ error: any Error) -> String {
        (error as? any LocalizedText)?.text(self) ?? "\(error)"
    }
}

/// One message in both languages. The messages live in code (`Catalogue`), not in a resource
/// bundle: a bundle is a directory that SwiftPM places beside the executable, which a package
/// installing one static binary in /usr/bin would have to carry and find again, and String
/// Catalogs (`.xcstrings`) are compiled by Xcode's tools, which Linux does not have. A table in
/// code is checked by the compiler, found without a file, and tested for completeness.
public struct Message: Sendable, Hashable {
    public let vi: String
    public let en: String

    public init(vi: String, en: String) {
        self.vi = vi
        self.en = en
    }

    public func text(_ language: Language) -> String { language == .vi ? vi : en }
}

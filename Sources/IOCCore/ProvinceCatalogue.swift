/// A provincial-level unit of Viet Nam (tỉnh or thành phố trực thuộc trung ương).
public struct Province: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case province = "tỉnh"
        case city = "thành phố"
    }

    /// The 2-digit statistical code, e.g. "46".
    public let code: String
    /// The name with diacritics, e.g. "Huế".
    public let name: String
    /// An ASCII form of the name for URLs and file names, e.g. "hue", "ho-chi-minh".
    public let slug: String
    public let kind: Kind
    /// Codes of the former units merged into it (its own code among them when it kept it).
    public let formedFrom: [String]
}

/// A unit that existed before the 2025 merger, and the code of the unit it is part of now.
public struct FormerProvince: Sendable, Hashable {
    public let code: String
    public let name: String
    public let currentCode: String
}

/// The province catalogue, as data (generated from shared/data by scripts/generate-provinces.py).
/// Codes are data that can be corrected, not constants to build logic on.
public enum ProvinceCatalogue {
    public static func province(code: String) -> Province? { current.first { $0.code == code } }
}

extension ProvinceCatalogue {
    /// What is wrong with `name` as the `province` label of a target, or nil when it is one of the
    /// 34 units as the catalogue writes it: the unit a former province became part of in 2025, the
    /// unit it was meant to be (`Hue` is `Huế`), or the nearest unit's name.
    public static func problem(withName name: String) -> String? {
        if current.contains(where: { $0.name == name }) { return nil }
        let folded = TextFolding.folded(name)
        if let former = former.first(where: { TextFolding.folded($0.name) == folded }),
            let unit = province(code: former.currentCode)
        {
            return former.name == unit.name
                ? "'\(name)' is written '\(unit.name)'"
                : "'\(former.name)' is part of '\(unit.name)' since the 2025 merger"
        }
        if let unit = current.first(where: { TextFolding.folded($0.name) == folded }) {
            return "'\(name)' is written '\(unit.name)'"
        }
        let nearest = current.min {
            ConfigNode.editDistance(folded, TextFolding.folded($0.name))
                < ConfigNode.editDistance(folded, TextFolding.folded($1.name))
        }
        return "'\(name)' is not one of the 34 provincial units"
            + (nearest.map { "; the nearest is '\($0.name)'" } ?? "")
    }
}

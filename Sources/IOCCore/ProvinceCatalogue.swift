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

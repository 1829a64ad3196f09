public import IOCCore

/// History recorded under a province that no longer exists, moved to the unit it is part of since
/// 1 July 2025 (`ioc relabel-provinces`): a series labelled with a former code (province_code="02",
/// Hà Giang) or a former name gets the current unit's `province` and `province_code` (Tuyên
/// Quang, "08"), and keeps where it came from in `former_province` and `former_province_code`, so
/// that nothing is merged silently and the old figures can still be told apart.
public enum ProvinceRelabel {
    /// The new labels of `labels`, or nil when it needs no change.
    public static func relabel(_ labels: Labels) -> Labels? {
        guard labels["former_province_code"] == nil && labels["former_province"] == nil else { return nil }
        let code = labels["province_code"]
        let name = labels["province"]
        let former: FormerProvince?
        if let code, ProvinceCatalogue.province(code: code) == nil {
            former = ProvinceCatalogue.former.first { $0.code == code }
        } else if let name, !ProvinceCatalogue.current.contains(where: { $0.name == name }) {
            // A former name: under its own code, or under a code that was kept.
            former = ProvinceCatalogue.former.first {
                $0.name == name && (code == nil || $0.code == code || $0.currentCode == code)
            }
        } else {
            former = nil
        }
        guard let former, let current = ProvinceCatalogue.province(code: former.currentCode) else { return nil }
        var pairs = labels.pairs.filter { $0.name != "province" && $0.name != "province_code" }.map {
            ($0.name, $0.value)
        }
        pairs += [
            ("province", current.name), ("province_code", current.code), ("former_province", name ?? former.name),
            ("former_province_code", code ?? former.code),
        ]
        return Labels(pairs)
    }
}

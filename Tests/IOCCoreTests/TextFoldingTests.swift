import IOCCore
import Testing

@Suite struct TextFoldingTests {
    @Test(arguments: ["ha noi", "hà nội", "HA NOI", "Hà Nội", "HÀ NỘI", "noi"])
    func everySpellingFindsHaNoi(_ typed: String) {
        #expect(TextFolding.contains("Hà Nội", typed))
    }

    @Test func marksAndDAreFoldedForEveryProvince() {
        #expect(TextFolding.folded("Huế") == "hue")
        #expect(TextFolding.folded("Đắk Lắk") == "dak lak")
        #expect(TextFolding.folded("Thừa Thiên Huế") == "thua thien hue")
        #expect(TextFolding.folded("Hồ Chí Minh") == "ho chi minh")
        // Every unit's folded name is its slug with spaces: the catalogue and the folding agree.
        for province in ProvinceCatalogue.current {
            #expect(
                TextFolding.folded(province.name).replacingOccurrences(of: " ", with: "-") == province.slug,
                "\(province.name)")
        }
        #expect(!TextFolding.contains("Hà Nội", "hue"))
    }
}

@Suite struct VietnameseOrderTests {
    /// Letter by letter as the Vietnamese alphabet orders them (a ă â … d đ … o ô ơ … u ư), then tones.
    @Test func provincesSortAsAVietnameseReaderExpects() {
        let shuffled = [
            "Điện Biên", "Cần Thơ", "Huế", "Cao Bằng", "Đà Nẵng", "An Giang", "Cà Mau", "Đắk Lắk", "Hà Nội",
            "Hải Phòng", "Hưng Yên", "Sơn La", "Quảng Trị", "Quảng Ninh",
        ]
        #expect(
            TextFolding.sortedAlphabetically(shuffled) == [
                "An Giang", "Cà Mau", "Cao Bằng", "Cần Thơ", "Đà Nẵng", "Đắk Lắk", "Điện Biên", "Hà Nội", "Hải Phòng",
                "Huế",
                "Hưng Yên", "Quảng Ninh", "Quảng Trị", "Sơn La",
            ])
        // Same letters: no tone, then grave, hook, tilde, acute, dot below; NFD sorts as NFC.
        #expect(
            TextFolding.sortedAlphabetically(["mạ", "má", "mã", "mả", "mà", "ma"]) == [
                "ma", "mà", "mả", "mã", "má", "mạ",
            ])
        #expect(
            TextFolding.sortedAlphabetically(["Huế".decomposedStringWithCanonicalMapping, "Hà Nội"]).first == "Hà Nội")
    }
}

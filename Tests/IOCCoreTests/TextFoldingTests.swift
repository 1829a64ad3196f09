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

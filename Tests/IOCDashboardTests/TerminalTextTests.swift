import IOCDashboard
import Testing

@Suite struct TerminalTextTests {
    @Test(arguments: [
        ("Huế\u{1B}]0;pwned\u{07}", "Huế"),
        ("a\u{1B}[2J\u{1B}[1;1Hb", "ab"),
        ("x\u{1B}]2;title\u{1B}\\y", "xy"),
        ("tab\there\nnew\rline", "tab here new line"),
        ("bell\u{07}null\u{00}del\u{7F}", "bellnulldel"),
        ("c1\u{9B}31mred", "c1red"),
        ("rtl\u{202E}txet", "rtltxet"),
        ("\u{1B}c reset", " reset"),
    ])
    func sanitizeRemovesEverythingThatActsOnTheTerminal(input: String, expected: String) {
        #expect(TerminalText.sanitize(input) == expected)
    }

    @Test func vietnameseTakesOneColumnPerLetterInNFCAndNFD() {
        let nfc = "Thừa Thiên Huế"
        let nfd = "Thu\u{031B}\u{0300}a Thie\u{0302}n Hue\u{0302}\u{0301}"
        #expect(nfc.unicodeScalars.count != nfd.unicodeScalars.count)
        #expect(TerminalText.width(of: nfc) == 14)
        #expect(TerminalText.width(of: nfd) == 14)
        #expect(TerminalText.width(of: "Bà Rịa – Vũng Tàu") == 17)
        #expect(TerminalText.width(of: "Đắk Lắk") == 7)
    }

    @Test func wideCharactersTakeTwoColumnsAndAreNeverSplit() {
        #expect(TerminalText.width(of: "越南") == 4)
        #expect(TerminalText.width(of: "ok ✅") == 5)
        #expect(TerminalText.clip("越南越南", to: 4) == "越…")
        #expect(TerminalText.clip("Hồ Chí Minh", to: 6) == "Hồ Ch…")
        #expect(TerminalText.clip("Huế", to: 3) == "Huế")
        #expect(TerminalText.pad("Huế", to: 6) == "Huế   ")
        #expect(TerminalText.pad("7", to: 3, alignRight: true) == "  7")
    }
}

@Suite struct CanvasAndRendererTests {
    @Test func wideCharactersFillTwoCellsAndRowsKeepTheirWidth() {
        var canvas = Canvas(width: 8, height: 2, language: .en)
        let end = canvas.write("越a\u{1B}[31m", x: 1, y: 0)
        #expect(end == 4)
        #expect(canvas[1, 0].text == "越")
        #expect(canvas[2, 0].text == "")
        #expect(canvas[3, 0].text == "a")
        canvas.write("far too long for it", x: 0, y: 1)
        #expect(canvas.plainText == " 越a\nfar too…")
    }

    @Test func anUnchangedFrameWritesNoCellsAndAChangeWritesOnlyIt() {
        var renderer = Renderer(colors: false)
        var canvas = Canvas(width: 20, height: 3, language: .en)
        canvas.write("Hà Nội UP", x: 0, y: 1)
        let first = renderer.render(canvas)
        #expect(first.contains("Hà Nội UP"))
        // An unchanged frame writes nothing at all.
        let second = renderer.render(canvas)
        #expect(second.isEmpty)
        canvas.write("DOWN", x: 7, y: 1)
        let third = renderer.render(canvas)
        #expect(third == "\u{1B}[?2026h\u{1B}[2;8HDOWN\u{1B}[?2026l")
    }

    @Test func coloursAreEmittedOnlyWhenEnabled() {
        var canvas = Canvas(width: 4, height: 1, language: .en)
        canvas.write("UP", x: 0, y: 0, style: CellStyle(foreground: .green))
        var plain = Renderer(colors: false)
        var colored = Renderer(colors: true)
        #expect(!plain.render(canvas).contains("\u{1B}[0;32m"))
        #expect(colored.render(canvas).contains("\u{1B}[0;32mUP"))
    }
}

public import IOCCore

/// A colour from the 16-colour palette every terminal has.
public enum TerminalColor: Int, Sendable, Equatable {
    case black = 0, red, green, yellow, blue, magenta, cyan, white
}

/// How a cell is drawn.
public struct CellStyle: Sendable, Equatable {
    public var foreground: TerminalColor?
    public var background: TerminalColor?
    public var bold = false
    public var dim = false
    public var reverse = false

    public init(
        foreground: TerminalColor? = nil, background: TerminalColor? = nil, bold: Bool = false, dim: Bool = false,
        reverse: Bool = false
    ) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.dim = dim
        self.reverse = reverse
    }

    public static let plain = CellStyle()
}

/// One column of the screen. A wide character occupies its cell and blanks the next one
/// (`text` empty), so that every row always has exactly `width` columns.
public struct Cell: Sendable, Equatable {
    public var text: String
    public var style: CellStyle

    public static let blank = Cell(text: " ", style: .plain)
}

/// A grid of cells that widgets draw into; the renderer turns it into terminal output.
public struct Canvas: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    /// The language of the words widgets write (titles, states, ages, "no data").
    public var language: Language

    public init(width: Int, height: Int, language: Language = .vi) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.language = language
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell { cells[y * width + x] }

    /// Writes `text` (sanitised, clipped to `maxWidth` and the right edge) at column `x` of row `y`.
    /// Returns the column after the last one written.
    @discardableResult
    public mutating func write(_ text: String, x: Int, y: Int, style: CellStyle = .plain, maxWidth: Int? = nil) -> Int {
        guard y >= 0, y < height, x >= 0, x < width else { return x }
        let limit = min(width - x, maxWidth ?? Int.max)
        let clipped = TerminalText.clip(TerminalText.sanitize(text), to: limit)
        var column = x
        for character in clipped {
            let columns = TerminalText.width(of: character)
            guard columns > 0 else { continue }
            guard column + columns <= width else { break }
            cells[y * width + column] = Cell(text: String(character), style: style)
            if columns == 2 { cells[y * width + column + 1] = Cell(text: "", style: style) }
            column += columns
        }
        return column
    }

    /// Paints a row's cells from `x` to the right edge with a style, e.g. for a title bar.
    public mutating func fill(row y: Int, from x: Int = 0, style: CellStyle) {
        guard y >= 0, y < height else { return }
        for column in max(0, x)..<width { cells[y * width + column] = Cell(text: " ", style: style) }
    }

    /// The canvas as text with colours (SGR sequences, reset at each line's end), for `--ansi`.
    public var ansiText: String {
        (0..<height).map { y in
            var line = ""
            var current = CellStyle.plain
            for x in 0..<width {
                let cell = self[x, y]
                if cell.style != current {
                    line += Renderer.sgr(cell.style)
                    current = cell.style
                }
                line += cell.text
            }
            return line + "\u{1B}[0m"
        }.joined(separator: "\n")
    }

    /// The canvas as plain text, one line per row, trailing spaces removed.
    public var plainText: String {
        (0..<height).map { y in
            var line = ""
            for x in 0..<width { line += self[x, y].text }
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }
}

/// Numbers from a feed turned into cells, columns or codes: NaN is 0 and anything past ±10¹⁵ is
/// clamped there, so that no value (1e300, ±Inf) can trap a screen. Callers clamp to their widths.
enum Cells {
    static func count(_ value: Double, rounding rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero) -> Int {
        guard !value.isNaN else { return 0 }
        let limit = 1e15
        return Int(min(limit, max(-limit, value)).rounded(rule))
    }
}

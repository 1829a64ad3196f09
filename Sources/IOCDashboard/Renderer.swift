/// Turns canvases into terminal output, writing only the cells that changed since the last frame,
/// inside synchronized-output mode so the terminal never shows half a frame.
public struct Renderer: Sendable {
    /// How many colours the terminal shows.
    public enum ColorDepth: Sendable, Equatable {
        /// `NO_COLOR`: attributes (bold, reverse) only.
        case none
        case sixteen
        case palette256
        case trueColor

        /// From the environment, as terminals announce themselves: `NO_COLOR` (any value) turns
        /// colours off; `COLORTERM=truecolor` or `24bit` gives 24-bit colour; a `TERM` with
        /// `256color` the 256-colour palette; anything else the 16 colours every terminal has.
        public static func from(_ environment: [String: String]) -> ColorDepth {
            if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return .none }
            if let colorTerm = environment["COLORTERM"]?.lowercased(), colorTerm == "truecolor" || colorTerm == "24bit"
            {
                return .trueColor
            }
            if environment["TERM"]?.contains("256color") == true { return .palette256 }
            return .sixteen
        }
    }

    /// Whether to emit colours and attributes.
    public var colors: Bool
    public var depth: ColorDepth
    private var previous: Canvas?

    public init(colors: Bool) {
        self.colors = colors
        depth = colors ? .sixteen : .none
    }

    public init(depth: ColorDepth) {
        self.depth = depth
        colors = true
    }

    /// Forget the screen's contents, so the next frame is drawn in full (after a resize or resume).
    public mutating func invalidate() { previous = nil }

    /// The bytes that bring the screen from the previous frame to `canvas`; empty when it is the same.
    public mutating func render(_ canvas: Canvas) -> String {
        var out = "\u{1B}[?2026h"
        out.reserveCapacity(canvas.width * canvas.height * 4)
        let full = previous.map { $0.width != canvas.width || $0.height != canvas.height } ?? true
        if full { out += "\u{1B}[0m\u{1B}[2J" }
        var currentStyle: CellStyle?
        var cursor: (x: Int, y: Int)?
        for y in 0..<canvas.height {
            var x = 0
            while x < canvas.width {
                let cell = canvas[x, y]
                let unchanged = !full && previous?[x, y] == cell
                if unchanged || cell.text.isEmpty {
                    x += 1
                    continue
                }
                if cursor.map({ $0.x != x || $0.y != y }) ?? true { out += "\u{1B}[\(y + 1);\(x + 1)H" }
                if colors && currentStyle != cell.style {
                    out += Renderer.sgr(cell.style, depth: depth)
                    currentStyle = cell.style
                }
                out += cell.text
                // A wide character's second column is an empty cell (see `Canvas.write`): the cursor
                // moved over it too.
                let wide = x + 1 < canvas.width && canvas[x + 1, y].text.isEmpty
                x += wide ? 2 : 1
                cursor = (x, y)
            }
        }
        previous = canvas
        // Nothing changed: nothing to write, not even the synchronized-output brackets.
        if !full && cursor == nil { return "" }
        if colors { out += "\u{1B}[0m" }
        out += "\u{1B}[?2026l"
        return out
    }

    static func sgr(_ style: CellStyle, depth: ColorDepth = .sixteen) -> String {
        var codes = ["0"]
        if style.bold { codes.append("1") }
        if style.dim { codes.append("2") }
        if style.reverse { codes.append("7") }
        if let foreground = style.foreground, let code = color(foreground, depth: depth, base: 30) {
            codes.append(code)
        }
        if let background = style.background, let code = color(background, depth: depth, base: 40) {
            codes.append(code)
        }
        return "\u{1B}[\(codes.joined(separator: ";"))m"
    }

    /// Softer tones where the terminal has them (a red that does not glare on a wall screen all
    /// day), the 16 standard colours otherwise.
    private static func color(_ color: TerminalColor, depth: ColorDepth, base: Int) -> String? {
        let rgb: [TerminalColor: (Int, Int, Int, Int)] = [
            .black: (0, 0, 0, 16), .red: (220, 60, 60, 167), .green: (80, 190, 100, 71), .yellow: (230, 190, 60, 178),
            .blue: (80, 140, 230, 68), .magenta: (190, 110, 210, 134), .cyan: (80, 190, 200, 73),
            .white: (220, 220, 220, 252),
        ]
        let selector = base == 30 ? "38" : "48"
        switch depth {
        case .none: return nil
        case .sixteen: return String(base + color.rawValue)
        case .palette256: return "\(selector);5;\(rgb[color]?.3 ?? 7)"
        case .trueColor:
            guard let (red, green, blue, _) = rgb[color] else { return String(base + color.rawValue) }
            return "\(selector);2;\(red);\(green);\(blue)"
        }
    }
}

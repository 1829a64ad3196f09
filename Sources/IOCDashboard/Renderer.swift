/// Turns canvases into terminal output, writing only the cells that changed since the last frame,
/// inside synchronized-output mode so the terminal never shows half a frame.
public struct Renderer: Sendable {
    /// Whether to emit colours and attributes; off under `NO_COLOR`.
    public var colors: Bool
    private var previous: Canvas?

    public init(colors: Bool) { self.colors = colors }

    /// Forget the screen's contents, so the next frame is drawn in full (after a resize or resume).
    public mutating func invalidate() { previous = nil }

    /// The bytes that bring the screen from the previous frame to `canvas`.
    public mutating func render(_ canvas: Canvas) -> String {
        var out = "\u{1B}[?2026h"
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
                    out += Renderer.sgr(cell.style)
                    currentStyle = cell.style
                }
                out += cell.text
                let columns = max(1, TerminalText.width(of: cell.text))
                // Redraw the blank half of a wide character along with it.
                x += columns
                cursor = (x, y)
            }
        }
        if colors { out += "\u{1B}[0m" }
        out += "\u{1B}[?2026l"
        previous = canvas
        return out
    }

    static func sgr(_ style: CellStyle) -> String {
        var codes = ["0"]
        if style.bold { codes.append("1") }
        if style.dim { codes.append("2") }
        if style.reverse { codes.append("7") }
        if let foreground = style.foreground { codes.append(String(30 + foreground.rawValue)) }
        if let background = style.background { codes.append(String(40 + background.rawValue)) }
        return "\u{1B}[\(codes.joined(separator: ";"))m"
    }
}

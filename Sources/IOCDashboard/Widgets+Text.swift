import Foundation
import IOCCore

extension Widgets {
    static func text(_ text: String, in rect: Rect, on canvas: inout Canvas) {
        var y = rect.y
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            for word in paragraph.split(separator: " ") {
                if TerminalText.width(of: line) + TerminalText.width(of: String(word)) + 1 > rect.width && !line.isEmpty
                {
                    guard y < rect.y + rect.height else { return }
                    canvas.write(line, x: rect.x, y: y, maxWidth: rect.width)
                    y += 1
                    line = ""
                }
                line += (line.isEmpty ? "" : " ") + word
            }
            guard y < rect.y + rect.height else { return }
            canvas.write(line, x: rect.x, y: y, maxWidth: rect.width)
            y += 1
        }
    }
}

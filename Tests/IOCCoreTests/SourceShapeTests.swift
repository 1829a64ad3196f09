import Foundation
import Testing

/// The shape the code keeps (issue 17): no file in Sources over 500 lines, no function over 80,
/// `Daemon.run` a list of at most 50, and background work only through `BackgroundThread` (no
/// hand-made threads, no semaphores that an async caller could block the cooperative pool on).
@Suite struct SourceShapeTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources").path

    static func swiftFiles() -> [(path: String, lines: [String])] {
        let enumerator = FileManager.default.enumerator(atPath: sources)
        var files: [(String, [String])] = []
        while let relative = enumerator?.nextObject() as? String {
            guard relative.hasSuffix(".swift"),
                let text = try? String(contentsOfFile: sources + "/" + relative, encoding: .utf8)
            else { continue }
            files.append((relative, text.components(separatedBy: "\n")))
        }
        return files.sorted { $0.0 < $1.0 }
    }

    /// Each function, initializer or computed property: where it starts and how many lines it spans.
    static func functions(_ lines: [String]) -> [(line: Int, length: Int, text: String)] {
        // A literal pattern that compiles (the tests below fail loudly if it matched nothing).
        guard
            let start = try? Regex(
                #"^\s*(@\w+(\([^)]*\))?\s+)*((public|private|fileprivate|internal|package|static|final|override|mutating|nonisolated|convenience|required|class)\s+)*(func\s|init[?!]?\s*[(<]|deinit\b|subscript)"#
            )
        else { return [] }
        var found: [(Int, Int, String)] = []
        for (index, line) in lines.enumerated()
        where (line.contains("func ") || line.contains("init") || line.contains("subscript"))
            && line.firstMatch(of: start) != nil
        {
            var depth = 0
            var opened = false
            var end = index
            scan: while end < lines.count {
                // Braces in strings and comments do not count.
                depth += braceBalance(lines[end], opened: &opened)
                if opened && depth <= 0 { break scan }
                if !opened && end > index + 15 { break scan }  // a declaration without a body
                end += 1
            }
            if opened { found.append((index + 1, end - index + 1, line.trimmingCharacters(in: .whitespaces))) }
        }
        return found
    }

    /// `{` minus `}` on a line, outside string literals and `//` comments; sets `opened` at a `{`.
    static func braceBalance(_ line: String, opened: inout Bool) -> Int {
        var balance = 0
        var inString = false
        var escaped = false
        var previous: Character = " "
        for character in line {
            defer { previous = character }
            if inString {
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inString = false
                }
                continue
            }
            switch character {
            case "\"": inString = true
            case "/" where previous == "/": return balance
            case "{":
                balance += 1
                opened = true
            case "}": balance -= 1
            default: break
            }
        }
        return balance
    }

    @Test func noFileOver500Lines() {
        let long = Self.swiftFiles().filter { $0.lines.count - 1 > 500 }.map { "\($0.path): \($0.lines.count - 1)" }
        #expect(long.isEmpty, "\(long)")
    }

    @Test func noFunctionOver80Lines() {
        var long: [String] = []
        var seen = 0
        for file in Self.swiftFiles() {
            let functions = Self.functions(file.lines)
            seen += functions.count
            for function in functions where function.length > 80 {
                long.append("\(file.path):\(function.line): \(function.length) lines: \(function.text)")
            }
        }
        #expect(long.isEmpty, "\(long)")
        #expect(seen > 1_000, "only \(seen) functions found: the scanner is broken")
    }

    @Test func theDaemonsRunIsAList() throws {
        let file = try #require(Self.swiftFiles().first { $0.path == "IOCDaemon/Daemon.swift" })
        let run = try #require(Self.functions(file.lines).first { $0.text.hasPrefix("public func run() async") })
        #expect(run.length <= 50, "Daemon.run is \(run.length) lines")
    }

    @Test func backgroundWorkGoesThroughBackgroundThread() {
        var found: [String] = []
        for file in Self.swiftFiles() {
            for (index, line) in file.lines.enumerated() {
                if line.contains("DispatchSemaphore") || line.contains("Thread.sleep") {
                    found.append("\(file.path):\(index + 1): \(line)")
                }
                if line.contains("Thread {") && file.path != "IOCCore/BackgroundThread.swift" {
                    found.append("\(file.path):\(index + 1): \(line)")
                }
            }
        }
        #expect(found.isEmpty, "\(found)")
    }
}

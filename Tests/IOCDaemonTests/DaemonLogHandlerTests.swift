import Foundation
import IOCDaemon
import Logging
import Testing

@Suite struct DaemonLogHandlerTests {
    /// Values a feed or a file could put in a log line.
    static let hostile = [
        "plain", "two words", "a=b", #"say "hi""#, #"back\slash"#, "", "Huế", "a\nb\u{1b}[2J", "\u{202E}evil",
        "tab\there", "line\u{2028}sep",
    ]

    /// A logfmt reader (go-logfmt's grammar): bare values up to a space, quoted ones with
    /// JSON-style escapes.
    static func parseLogfmt(_ line: String) -> [(String, String)]? {
        var pairs: [(String, String)] = []
        var rest = Substring(line)
        while !rest.isEmpty {
            guard let equals = rest.firstIndex(of: "=") else { return nil }
            let key = String(rest[..<equals])
            rest = rest[rest.index(after: equals)...]
            if rest.first == "\"" {
                var end = rest.index(after: rest.startIndex)
                while end < rest.endIndex, rest[end] != "\"" {
                    end = rest.index(after: rest[end] == "\\" ? rest.index(after: end) : end)
                }
                guard end < rest.endIndex else { return nil }
                let literal = String(rest[...end])
                guard
                    let value = try? JSONSerialization.jsonObject(with: Data(literal.utf8), options: .fragmentsAllowed)
                        as? String
                else { return nil }
                pairs.append((key, value))
                rest = rest[rest.index(after: end)...]
            } else {
                let end = rest.firstIndex(of: " ") ?? rest.endIndex
                pairs.append((key, String(rest[..<end])))
                rest = rest[end...]
            }
            if rest.first == " " { rest = rest.dropFirst() }
        }
        return pairs
    }

    @Test func logfmtQuotesWhatNeedsItAndReadsBackExactly() throws {
        let handler = DaemonLogHandler(label: "iocd", level: .info, format: .logfmt, destination: .plain)
        for value in Self.hostile {
            let line = handler.format(.warning, "target down", ["detail": "\(value)", "job": "portal"])
            #expect(!line.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x202E || $0.value == 0x2028 })
            let pairs = try #require(Self.parseLogfmt(line), "\(line)")
            #expect(pairs.map(\.0) == ["ts", "level", "component", "msg", "detail", "job"], "\(line)")
            #expect(pairs.first { $0.0 == "detail" }?.1 == value, "\(line)")
            #expect(pairs.first { $0.0 == "msg" }?.1 == "target down")
            #expect(pairs.first { $0.0 == "level" }?.1 == "warning")
        }
        let simple = handler.format(.info, "iocd started", ["targets": "170"])
        #expect(simple.contains(#" level=info component=iocd msg="iocd started" targets=170"#), "\(simple)")
    }

    @Test func jsonLinesAreJSONObjects() throws {
        let handler = DaemonLogHandler(label: "iocd", level: .info, format: .json, destination: .plain)
        for value in Self.hostile {
            let line = handler.format(.error, "remote write failed", ["error": "\(value)"])
            #expect(!line.contains("\n"))
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
            #expect(object?["error"] == value && object?["level"] == "error" && object?["msg"] == "remote write failed")
            #expect(object?["ts"]?.hasSuffix("Z") == true)
        }
    }

    @Test func journalLinesCarryTheirPriorityAndNoTime() {
        let journal = DaemonLogHandler(label: "iocd", level: .info, format: .logfmt, destination: .journal)
        #expect(
            journal.format(.warning, "target down", ["reason": "status"])
                == #"<4>level=warning component=iocd msg="target down" reason=status"#)
        #expect(journal.format(.error, "x", nil).hasPrefix("<3>level=error"))
        #expect(journal.format(.notice, "x", nil).hasPrefix("<5>"))
        let json = DaemonLogHandler(label: "iocd", level: .info, format: .json, destination: .journal)
        #expect(json.format(.critical, "x", nil) == #"<2>{"level":"critical","component":"iocd","msg":"x"}"#)
    }

    @Test func coloursOnlyOnATerminalThatWantsThem() {
        let terminal = DaemonLogHandler(label: "iocd", level: .info, format: .logfmt, destination: .terminal)
        #expect(terminal.format(.error, "boom", nil).contains("\u{1b}[31;1mlevel=error\u{1b}[0m"))
        let plain = DaemonLogHandler(label: "iocd", level: .info, format: .logfmt, destination: .plain)
        #expect(!plain.format(.error, "boom", nil).contains("\u{1b}"))
        #expect(DaemonLogHandler.detectDestination(environment: ["JOURNAL_STREAM": "0:0"]) != .journal)
        // On a terminal: colours, unless NO_COLOR (any non-empty value) or a dumb terminal says no.
        let terminalWith = { (environment: [String: String]) in
            DaemonLogHandler.detectDestination(environment: environment, standardErrorIsTerminal: true)
        }
        #expect(terminalWith([:]) == .terminal)
        #expect(terminalWith(["NO_COLOR": ""]) == .terminal)
        #expect(terminalWith(["NO_COLOR": "1"]) == .plain)
        #expect(terminalWith(["TERM": "dumb"]) == .plain)
        #expect(DaemonLogHandler.detectDestination(environment: [:], standardErrorIsTerminal: false) == .plain)
    }
}

import IOCDaemon
import Logging
import Testing

@Suite struct DaemonLogHandlerTests {
    @Test func journalLinesCarryTheirPriorityAndNothingForgesALine() {
        let journal = DaemonLogHandler(label: "iocd", level: .info, style: .journal)
        #expect(
            journal.format(.warning, "target down", ["reason": "status", "note": "a\nb\u{1b}[2J"])
                == #"<4>target down note=a\nb\u001b[2J reason=status"#)
        #expect(journal.format(.error, "x", nil) == "<3>x")
        #expect(journal.format(.notice, "x", nil) == "<5>x")
        let plain = DaemonLogHandler(label: "iocd", level: .info, style: .plain)
        #expect(plain.format(.info, "iocd started", nil).hasSuffix(" info iocd: iocd started"))
        let terminal = DaemonLogHandler(label: "iocd", level: .info, style: .terminal)
        #expect(terminal.format(.error, "boom", nil).contains("\u{1b}[31;1merror\u{1b}[0m boom"))
        #expect(DaemonLogHandler.detectStyle(environment: ["JOURNAL_STREAM": "0:0"]) != .journal)
    }
}

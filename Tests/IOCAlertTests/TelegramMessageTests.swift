import Foundation
@testable import IOCAlert
import IOCCore
import TestSupport
import Testing

/// A Telegram message stays within the Bot API's 4,096 characters and valid markup whatever the
/// alerts hold: a province's outage of 500 alerts with long summaries full of markup.
@Suite struct TelegramMessageTests {
    static func target(_ extra: String = "", parseMode: String = "HTML") throws -> TelegramTarget {
        let directory = try TemporaryDirectory()
        try directory.write("token", "1:x\n")
        let yaml = "bot_token_file: \(directory.file("token"))\nchat_id: -100\nparse_mode: '\(parseMode)'\n" + extra
        return try TelegramTarget(
            from: try ConfigNode.parse(yaml: yaml, file: directory.file("iocd.yaml")),
            templates: .shipped(language: .vi, timeZone: "Asia/Ho_Chi_Minh"))
    }

    static func notification(_ count: Int, summary: String) -> IOCAlert.Notification {
        let alerts = (0..<count).map { index in
            NotifiableAlert(
                labels: Labels([("alertname", "ServiceDown"), ("province", "Huế \(index)")]),
                annotations: Labels([("summary", summary)]), startsAt: 1_795_911_000_000)
        }
        return IOCAlert.Notification(
            receiver: "duty", groupKey: "0:{}", groupLabels: Labels([("alertname", "ServiceDown")]), alerts: alerts,
            time: 1_795_911_000_000)
    }

    @Test func aHugeNotificationFitsAndNoEntityIsCut() throws {
        let hostile = Self.notification(500, summary: String(repeating: "<b>&\"'\u{1b}[2J ", count: 300))
        let text = try TelegramMessage.text(hostile, to: try Self.target(), externalURL: "")
        #expect(text.unicodeScalars.count <= TelegramMessage.maxLength, "\(text.unicodeScalars.count)")
        #expect(text.hasPrefix("🔥 <b>CẢNH BÁO: 500 · ServiceDown</b>"), "\(text.prefix(80))")
        #expect(text.hasSuffix("\n…"), "\(text.suffix(80))")
        // Every & starts a whole entity, and the only tags are the heading's.
        let entities = try Regex("&(amp|lt|gt|quot|#39);")
        #expect(text.replacing(entities, with: "").contains("&") == false)
        #expect(text.components(separatedBy: "<").count == 3, "only <b> and </b>")
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B })

        // A small one is whole, its time in Viet Nam's zone.
        let small = try TelegramMessage.text(Self.notification(1, summary: "x"), to: try Self.target(), externalURL: "")
        #expect(!small.hasSuffix("…") && small.contains("Huế 0 · từ 07:10 29/11/2026"), "\(small)")
    }

    /// An operator's template cut at the limit keeps its markup whole: open tags are closed.
    @Test func anOperatorsTemplateIsCutWithItsTagsClosed() throws {
        let target = try Self.target(
            #"message: '<b>{{ range .Alerts }}<i>{{ .Annotations.summary }}</i> {{ end }}</b>'"#)
        let text = try TelegramMessage.text(
            Self.notification(300, summary: "a<b & c"), to: target, externalURL: "")
        #expect(text.unicodeScalars.count <= TelegramMessage.maxLength)
        #expect(TelegramMessage.openTags(in: text).isEmpty, "\(text.suffix(120))")
        #expect(text.contains("<i>a&lt;b &amp; c</i>"))
    }

    /// In MarkdownV2 every reserved character the text holds is escaped; in plain text nothing is.
    @Test func markdownAndPlainText() throws {
        let markdown = try TelegramMessage.text(
            Self.notification(1, summary: "a_b (c)."), to: try Self.target(parseMode: "MarkdownV2"), externalURL: "")
        #expect(markdown.contains(#"a\_b \(c\)\."#), "\(markdown)")
        let plain = try TelegramMessage.text(
            Self.notification(1, summary: "<b>"), to: try Self.target(parseMode: ""), externalURL: "")
        #expect(plain.contains("• <b>") && !plain.contains("&lt;"), "\(plain)")
    }
}

import Foundation
@testable import IOCAlert
import IOCCore
import Testing

/// A Telegram message stays within the Bot API's 4,096 characters and valid HTML whatever the
/// alerts hold: a province's outage of 500 alerts with long summaries full of markup.
@Suite struct TelegramMessageTests {
    @Test func aHugeNotificationFitsAndNoEntityIsCut() throws {
        let summary = String(repeating: "<b>&\"'\u{1b}[2J ", count: 300)
        let alerts = (0..<500).map { index in
            NotifiableAlert(
                labels: Labels([("alertname", "ServiceDown"), ("province", "Huế \(index)")]),
                annotations: Labels([("summary", summary)]), startsAt: 1_795_911_000_000)
        }
        let notification = Notification(
            receiver: "duty", groupKey: "0:{}", groupLabels: Labels([("alertname", "ServiceDown")]), alerts: alerts,
            time: 1_795_911_000_000)
        let text = TelegramMessage.text(notification, html: true)
        #expect(text.unicodeScalars.count <= TelegramMessage.maxLength, "\(text.unicodeScalars.count)")
        #expect(text.hasPrefix("<b>🔥 CẢNH BÁO: 500 · ServiceDown</b>"))
        #expect(text.hasSuffix("cảnh báo khác"), "\(text.suffix(80))")
        // Every & starts a whole entity, and the only tags are the heading's.
        let entities = try Regex("&(amp|lt|gt|quot|#39);")
        #expect(text.replacing(entities, with: "").contains("&") == false)
        #expect(text.components(separatedBy: "<").count == 3, "only <b> and </b>")
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B })

        // A small one is whole.
        let small = TelegramMessage.text(
            Notification(
                receiver: "duty", groupKey: "0:{}", groupLabels: Labels(), alerts: Array(alerts.prefix(1)),
                time: 0), html: false)
        #expect(!small.contains("cảnh báo khác") && small.contains("Huế 0 · từ "))
    }
}

import Foundation
import IOCCore
import TestSupport
import Testing

/// A Telegram receiver against a recording server on loopback in the Bot API's place (the real one
/// is out of reach): the request is Telegram's `sendMessage` (the token in the path, `chat_id`,
/// `text`, `parse_mode`), the text is Vietnamese, and a Bot API that is down keeps the message in
/// the durable queue until it answers. The token never reaches the log.
@Suite struct TelegramTests {
    @Test func aTelegramMessageWaitsForTheBotAPIAndIsSendMessage() async throws {
        try await HeavyTests.one {
            let closed = ClosedPort()
            defer { withExtendedLifetime(closed) {} }
            let directory = try TemporaryDirectory()
            let apiPort = refusedPort()
            let token = "123456:AAH-secret-token"
            try directory.write("telegram-token", token + "\n")
            let config = try directory.write(
                "iocd.yaml",
                """
                storage: {path: ioc.db}
                probe_files: [probes.yaml]
                rule_files: [rules.yaml]
                evaluation_interval: 1s
                notifications:
                  route: {receiver: duty, group_by: [alertname], group_wait: 1s, group_interval: 1s, repeat_interval: 1h}
                  receivers:
                    - name: duty
                      telegram:
                        bot_token_file: telegram-token
                        chat_id: -1001234567890
                        api_url: 'http://127.0.0.1:\(apiPort)'
                        timeout: 2s
                """)
            try DownPortal.write(
                in: directory, port: closed.number,
                annotations: "{summary: '<b>{{ $labels.service }}</b> của {{ $labels.province }} ngừng hoạt động'}")
            let daemon = try TestProcess(try BuiltProduct.path("iocd"), ["--config", config])
            defer { daemon.signal(SIGTERM) }
            // The Bot API is down: the delivery fails, is logged without the token, and waits.
            let failed = await waitUntil(timeout: .seconds(30)) {
                daemon.standardError.contains("telegram chat -1001234567890")
            }
            #expect(failed, "\(daemon.standardError)")

            let api = try WebhookSink(port: apiPort)
            defer { api.stop() }
            #expect(await waitUntil(timeout: .seconds(30)) { !api.requests.isEmpty }, "\(daemon.standardError)")
            let request = try #require(api.requests.first)
            #expect(request.path == "/bot\(token)/sendMessage")
            let body = try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any]
            #expect(body?["chat_id"] as? Int64 == -1_001_234_567_890, "a number, as the Bot API takes it")
            #expect(body?["parse_mode"] as? String == "HTML" && body?["disable_notification"] as? Bool == false)
            let text = body?["text"] as? String ?? ""
            #expect(text.hasPrefix("🔥 <b>CẢNH BÁO: 1 · ServiceDown</b>"), "\(text)")
            // The summary's own markup is text, not Telegram's HTML.
            #expect(text.contains("• &lt;b&gt;dvc&lt;/b&gt; của Huế ngừng hoạt động"), "\(text)")
            #expect(text.contains("Huế · dvc · critical · từ "), "\(text)")
            #expect(!daemon.standardError.contains("AAH-secret-token"), "the token stays out of the log")
        }
    }
}

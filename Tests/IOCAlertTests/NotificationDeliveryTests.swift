import Foundation
@testable import IOCAlert
import IOCCore
import IOCHTTP
import TestSupport
import Testing

@Suite struct NotificationDeliveryTests {
    let notification = Notification(
        receiver: "ops", groupKey: "0:{alertname=\"ServiceDown\"}", groupLabels: Labels([("alertname", "ServiceDown")]),
        alerts: [
            NotifiableAlert(
                labels: Labels([("alertname", "ServiceDown"), ("province", "Huế"), ("note", "a]\"\\\nb\u{1b}[2J")]),
                annotations: Labels([("summary", "line one\nline two")]), startsAt: 1_795_911_000_000),
            NotifiableAlert(
                labels: Labels([("alertname", "ServiceDown"), ("province", "Huế"), ("service", "lgsp")]),
                annotations: Labels(), startsAt: 1_795_911_000_000, endsAt: 1_795_911_060_000),
        ], time: 1_795_911_075_250)

    @Test func theWebhookBodyIsAlertmanagersVersion4() throws {
        let object = try #require(
            try JSONSerialization.jsonObject(
                with: Data(NotificationPayload.webhook(notification, externalURL: "http://ioc/")))
                as? [String: Any])
        #expect(object["version"] as? String == "4")
        #expect(object["status"] as? String == "firing")
        #expect(object["receiver"] as? String == "ops")
        #expect(object["commonLabels"] as? [String: String] == ["alertname": "ServiceDown", "province": "Huế"])
        let alerts = try #require(object["alerts"] as? [[String: Any]])
        #expect(alerts.map { $0["status"] as? String } == ["firing", "resolved"])
        #expect(alerts[0]["endsAt"] as? String == "0001-01-01T00:00:00Z")
        #expect(alerts[1]["endsAt"] as? String == "2026-11-29T00:11:00.000Z")
        #expect(alerts[0]["startsAt"] as? String == "2026-11-29T00:10:00.000Z")
        #expect((alerts[0]["fingerprint"] as? String)?.count == 16)
    }

    @Test func syslogMessagesAreOneLineWithEscapedStructuredData() {
        let messages = NotificationPayload.syslog(
            notification, facility: 16, appName: "iocd", hostname: "ioc host", processID: 42)
        #expect(messages.count == 2)
        #expect(
            messages[0].hasPrefix(
                "<132>1 2026-11-29T00:11:15.250Z iochost iocd 42 firing [alert@32473 status=\"firing\""))
        #expect(messages[0].contains(#"note="a\]\"\\\nb\u001b[2J""#), "\(messages[0])")
        #expect(messages[0].hasSuffix(#"ServiceDown firing: line one\nline two"#))
        #expect(messages.allSatisfy { !$0.contains("\n") && !$0.contains("\u{1b}") })
        // A resolution is informational: local0 (16) × 8 + 6.
        #expect(messages[1].hasPrefix("<134>1 "))
    }

    @Test func aHookThatHangsIsKilledAtItsTimeout() throws {
        let delivery = NotificationDelivery(client: HTTPClient(maxInFlight: 1), externalURL: "")
        let started = ContinuousClock.now
        #expect {
            try delivery.deliver(notification, via: .exec(command: ["/bin/sleep", "30"], timeout: .milliseconds(300)))
        } throws: { "\($0)".contains("killed after") }
        // SIGTERM ends sleep at once: well before its 30 seconds.
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func aHookThatFailsIsAnErrorAndOneThatSucceedsIsNot() throws {
        let delivery = NotificationDelivery(client: HTTPClient(maxInFlight: 1), externalURL: "")
        #expect(throws: DeliveryError.self) {
            try delivery.deliver(notification, via: .exec(command: ["/bin/false"], timeout: .seconds(5)))
        }
        try delivery.deliver(notification, via: .exec(command: ["/bin/true"], timeout: .seconds(5)))
    }

    @Test func aWebhookThatIsDownIsAnErrorToRetry() throws {
        let delivery = NotificationDelivery(client: HTTPClient(maxInFlight: 1), externalURL: "")
        let port = refusedPort()
        // A chat system's webhook carries its key in the path: the error, which is logged, does not.
        let target = try WebhookTarget(
            from: try ConfigNode.parse(
                yaml: "url: 'http://127.0.0.1:\(port)/hooks/KEY-s3cret?token=t0ken'\ntimeout: 2s", file: "iocd.yaml"),
            templates: .shipped(language: .vi, timeZone: "UTC"))
        let error = #expect(throws: DeliveryError.self) {
            try delivery.deliver(notification, via: .webhook(target))
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(
            text.hasPrefix("http://127.0.0.1:\(port): ") && !text.contains("s3cret") && !text.contains("t0ken"),
            "\(text)")
    }

    @Test func hookEnvironmentVariablesAreNamedSafely() {
        let environment = NotificationDelivery.environment(for: notification)
        #expect(environment["IOC_ALERT_LABEL_ALERTNAME"] == "ServiceDown")
        #expect(environment["IOC_ALERT_STATUS"] == "firing")
        #expect(environment["IOC_ALERT_COUNT"] == "2")
    }
}

/// A webhook with a body and headers of its own: what a chat system's API (Zalo OA here) takes,
/// posted for real to a recording server on loopback.
@Suite struct TemplatedWebhookTests {
    @Test func theBodyAndHeadersComeFromTemplatesAndAlertDataCannotAddAHeader() throws {
        let sink = try WebhookSink(port: 0)
        defer { sink.stop() }
        let directory = try TemporaryDirectory()
        try directory.write("zalo-token", "zalo-s3cret\n")
        let yaml = #"""
            url: 'http://127.0.0.1:PORT/v3.0/oa/message/cs'
            header_files: {access_token: zalo-token}
            headers: {X-Province: '{{ .CommonLabels.province }}', X-Summary: '{{ .CommonAnnotations.summary }}'}
            body: '{"recipient":{"user_id":"2512"},"message":{"text":{{ include "telegram.default.plain" . | toJson }}}}'
            """#.replacingOccurrences(of: "PORT", with: String(sink.port))
        let target = try WebhookTarget(
            from: try ConfigNode.parse(yaml: yaml, file: directory.file("iocd.yaml")),
            templates: .shipped(language: .vi, timeZone: "Asia/Ho_Chi_Minh"))
        let alert = NotifiableAlert(
            labels: Labels([("alertname", "ServiceDown"), ("province", "Huế"), ("service", "dvc")]),
            annotations: Labels([("summary", "Ngừng\r\nX-Injected: yes \"<&>\"")]), startsAt: 1_796_361_600_000)
        let notification = IOCAlert.Notification(
            receiver: "zalo", groupKey: "{}", groupLabels: Labels([("alertname", "ServiceDown")]), alerts: [alert],
            time: 1_796_361_600_000)
        try NotificationDelivery(client: HTTPClient(maxInFlight: 1), externalURL: "")
            .deliver(notification, via: .webhook(target))
        let request = try #require(sink.requests.first)
        #expect(request.path == "/v3.0/oa/message/cs")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
        let text = (body["message"] as? [String: Any])?["text"] as? String ?? ""
        // `toJson` made the text a JSON string: its line break and quotes are data, not JSON.
        #expect(text.hasPrefix("🔥 CẢNH BÁO: 1 · ServiceDown\n• Ngừng\r\nX-Injected: yes \"<&>\""), "\(text)")
        #expect(text.contains("Huế · dvc · từ 12:20 04/12/2026"), "\(text)")
        let head = try #require(sink.requestHeads.first)
        let lines = head.components(separatedBy: "\r\n")
        #expect(lines.contains("access_token: zalo-s3cret") && lines.contains("X-Province: Huế"), "\(lines)")
        #expect(lines.contains("Content-Type: application/json"), "\(lines)")
        #expect(!lines.contains { $0.hasPrefix("X-Injected") }, "a line break in alert data adds no header: \(lines)")
    }

    @Test func headersIOCSetsAreRefusedAtLoad() throws {
        for (yaml, message) in [
            ("url: 'http://127.0.0.1:9/'\nheaders: {Content-Length: '1'}", "set by IOC"),
            ("url: 'http://127.0.0.1:9/'\nheaders: {'Bad Name': x}", "not a header name"),
            ("url: 'http://127.0.0.1:9/'\nbody: '{{ template \"nosuch\" . }}'", "no template \"nosuch\""),
        ] {
            #expect {
                _ = try WebhookTarget(
                    from: try ConfigNode.parse(yaml: yaml, file: "/etc/iocd/iocd.yaml"),
                    templates: .shipped(language: .vi, timeZone: "UTC"))
            } throws: { "\($0)".contains(message) && "\($0)".contains("/etc/iocd/iocd.yaml:") }
        }
    }
}

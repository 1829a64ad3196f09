@testable import IOCAlert
import IOCCore
import Testing

/// The durable queue's payloads: what is written is read back, and what an earlier iocd wrote
/// (the same keys, written by JSONSerialization) is still read after an upgrade.
@Suite struct NotificationCodingTests {
    @Test func aNotificationComesBackAsItWent() throws {
        let notification = Notification(
            receiver: "ops", groupKey: "0:{alertname=\"ServiceDown\"}",
            groupLabels: Labels([("alertname", "ServiceDown"), ("province", "Huế")]),
            alerts: [
                NotifiableAlert(
                    labels: Labels([("alertname", "ServiceDown"), ("note", "a \"b\"\n\u{1b}")]),
                    annotations: Labels([("summary", "down")]), startsAt: 1_795_046_400_000),
                NotifiableAlert(
                    labels: Labels([("alertname", "ServiceDown")]), annotations: Labels(), startsAt: 1,
                    endsAt: 1_795_046_460_000),
            ], time: 1_795_046_470_000)
        #expect(NotificationCoding.decode(NotificationCoding.encode(notification)) == notification)
    }

    @Test func aPayloadOfAnEarlierVersionIsStillRead() throws {
        let written = #"""
            {"alerts":[{"annotations":[["summary","down"]],"labels":[["alertname","X"]],"startsAt":5}],\#
            "groupKey":"k","groupLabels":[["alertname","X"]],"receiver":"ops","time":7}
            """#
        let decoded = try #require(NotificationCoding.decode(Array(written.utf8)))
        #expect(decoded.receiver == "ops" && decoded.groupKey == "k" && decoded.time == 7)
        #expect(
            decoded.alerts == [
                NotifiableAlert(
                    labels: Labels([("alertname", "X")]), annotations: Labels([("summary", "down")]), startsAt: 5)
            ])
        #expect(NotificationCoding.decode(Array("not json".utf8)) == nil)
    }
}

import Foundation
import IOCAlert
import IOCCore
import IOCHTTP
import IOCStore
import Logging
import TestSupport
import Testing

/// The durable queue: bounded, what it drops counted, what waits kept in the store for a restart.
@Suite struct NotificationQueueTests {
    @Test func aFullQueueDropsTheOldestAndKeepsTheRestForARestart() async throws {
        let directory = try TemporaryDirectory()
        let writer = try SampleWriter(path: directory.file("ioc.db"))
        let config = try NotifierConfig(
            from: try ConfigNode.parse(
                yaml: """
                    route: {receiver: hook, group_by: ['...'], group_wait: 0s, group_interval: 1h}
                    receivers:
                      - name: hook
                        webhook: {url: 'http://127.0.0.1:\(refusedPort())/', timeout: 1s}
                    queue: {max_size: 3}
                    """, file: "iocd.yaml"))
        let client = HTTPClient(maxInFlight: 2)
        let service = NotificationService(
            config: config, writer: writer, delivery: NotificationDelivery(client: client, externalURL: ""),
            logger: Logger(label: "test"))
        try service.start()
        let now = WallClock.nowMilliseconds()
        // Five groups (every label is a group key): five notifications for a queue of three.
        service.update(
            [
                "r/Down/0": (0..<5).map { index in
                    Alert(
                        labels: Labels([("alertname", "Down"), ("instance", "i\(index)")]), annotations: Labels(),
                        state: .firing, activeAt: now, firedAt: now, value: 0)
                }
            ], at: now)
        let dropped = await waitUntil(timeout: .seconds(10)) { service.statistics.dropped == 2 }
        #expect(dropped, "\(service.statistics)")
        #expect(service.statistics.queued == 3)
        await service.stop()
        await writer.flush()
        // What waits is in the store, for the next start.
        let reader = try writer.makeReader()
        #expect(try reader.notificationQueue().count == 3)
        #expect(try reader.notificationLog().count == 5)
        await writer.close()
        await client.shutdown()
    }
}

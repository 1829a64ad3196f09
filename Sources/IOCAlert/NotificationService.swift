import Foundation
public import IOCCore
import IOCQuery
public import IOCStore
public import Logging
import Synchronization

/// The notifier at work: takes each evaluation's alerts from the rule scheduler, decides what is due
/// (`NotifierState`), and delivers it through the receivers' integrations from a durable queue in
/// the store: a receiver that is down is retried with backoff (1 s doubling to 5 minutes), across
/// restarts; the queue is bounded and what it drops is counted and logged. Runs on a thread of its
/// own: deliveries block (sockets, HTTP, child processes).
public final class NotificationService: Sendable {
    public struct Statistics: Sendable, Equatable {
        public var sent = 0
        public var failed = 0
        public var dropped = 0
        public var queued = 0
    }

    private struct Shared {
        var state: NotifierState
        var queue: [QueuedNotification] = []
        var nextID: Int64 = 0
        var statistics = Statistics()
        /// Receivers whose last delivery failed, so that a long outage logs once, not per retry.
        var failing: Set<String> = []
    }

    private let config: NotifierConfig
    private let writer: SampleWriter
    private let delivery: NotificationDelivery
    private let logger: Logger
    private let clock: @Sendable () -> Int64
    private let shared: Mutex<Shared>
    private let thread = Mutex<BackgroundThread?>(nil)

    public init(
        config: NotifierConfig, writer: SampleWriter, delivery: NotificationDelivery, logger: Logger,
        clock: @escaping @Sendable () -> Int64 = WallClock.nowMilliseconds
    ) {
        self.config = config
        self.writer = writer
        self.delivery = delivery
        self.logger = logger
        self.clock = clock
        shared = Mutex(Shared(state: NotifierState(config: config)))
    }

    public var statistics: Statistics { shared.withLock { $0.statistics } }

    /// Reads what was sent and what waits to be sent from the store, then starts the thread.
    public func start() throws(StoreError) {
        let reader = try writer.makeReader()
        let log = try reader.notificationLog().map { record in
            NotificationLogEntry(
                key: record.key,
                firing: Set(record.firing.split(separator: ",").compactMap { UInt64($0, radix: 16) }),
                sentAt: record.sentAt)
        }
        let queue = try reader.notificationQueue()
        shared.withLock { shared in
            shared.state = NotifierState(config: config, log: log)
            shared.queue = queue
            shared.nextID = max(clock() * 1000, (queue.map(\.id).max() ?? 0) + 1)
            shared.statistics.queued = queue.count
        }
        if !queue.isEmpty {
            logger.info("notifications waiting from before the restart", metadata: ["count": "\(queue.count)"])
        }
        let started = BackgroundThread(name: "ioc-notifier")
        thread.withLock { $0 = started }
        started.start { [self] thread in loop(thread) }
    }

    /// Stops after the delivery in progress, if any (an exec hook is ended); what waits stays
    /// queued in the store.
    public func stop() async {
        let running = thread.withLock { $0 }
        running?.requestStop()
        delivery.cancelRunning()
        await running?.stop()
    }

    /// `stop()` for synchronous callers on threads of their own.
    @available(*, noasync, message: "use 'await stop()'")
    public func shutdown() { thread.withLock { $0 }?.stopWaiting() }

    /// The alerts of the rules just evaluated, by rule key: pending ones are not notified, firing
    /// ones are, resolved ones (that fired) send their resolution.
    public func update(_ alerts: [String: [Alert]], at now: Int64) {
        shared.withLock { shared in
            for (rule, list) in alerts {
                let notifiable = list.compactMap { alert -> NotifiableAlert? in
                    switch alert.state {
                    case .pending: return nil
                    case .firing:
                        return NotifiableAlert(
                            labels: alert.labels, annotations: alert.annotations, startsAt: alert.activeAt)
                    case .inactive:
                        guard alert.firedAt != nil, let resolvedAt = alert.resolvedAt else { return nil }
                        return NotifiableAlert(
                            labels: alert.labels, annotations: alert.annotations, startsAt: alert.activeAt,
                            endsAt: resolvedAt)
                    }
                }
                shared.state.update(notifiable, from: rule, at: now)
            }
        }
        thread.withLock { $0 }?.wake()
    }

    private func loop(_ thread: BackgroundThread) {
        let reader = try? writer.makeReader()
        while !thread.isStopping {
            let now = clock()
            let silences = (try? reader?.silences(parsing: Selector.matchers(parsing:))) ?? []
            enqueue(now: now, silences: silences)
            deliverDue(now: clock(), thread: thread)
            let next = shared.withLock { shared in
                min(shared.state.nextFlush ?? .max, shared.queue.map(\.nextAttempt).min() ?? .max)
            }
            thread.pause(milliseconds: max(10, min(1_000, next - clock())))
        }
    }

    private func enqueue(now: Int64, silences: [Silence]) {
        var added: [QueuedNotification] = []
        var droppedCount = 0
        let log = shared.withLock { shared -> [NotificationLogEntry] in
            let due = shared.state.flush(at: now, silences: silences)
            for notification in due {
                let integrations = config.receivers[notification.receiver]?.integrations ?? []
                for index in integrations.indices {
                    shared.nextID += 1
                    let item = QueuedNotification(
                        id: shared.nextID, receiver: notification.receiver, integration: index,
                        payload: NotificationCoding.encode(notification), attempts: 0, nextAttempt: now, createdAt: now)
                    shared.queue.append(item)
                    added.append(item)
                }
            }
            // The queue is bounded: the oldest go first, counted.
            if shared.queue.count > config.queueSize {
                droppedCount = shared.queue.count - config.queueSize
                let dropped = shared.queue.prefix(droppedCount).map(\.id)
                shared.queue.removeFirst(droppedCount)
                added.removeAll { dropped.contains($0.id) }
                writer.record(delivered: dropped)
                shared.statistics.dropped += droppedCount
            }
            shared.statistics.queued = shared.queue.count
            return shared.state.takeChangedLog()
        }
        if droppedCount > 0 {
            logger.error("notification queue full: dropped the oldest", metadata: ["dropped": "\(droppedCount)"])
        }
        writer.record(
            notificationLog: log.map { entry in
                NotificationLogRecord(
                    key: entry.key, firing: entry.firing.sorted().map { String($0, radix: 16) }.joined(separator: ","),
                    sentAt: entry.sentAt)
            },
            queued: added)
    }

    private func deliverDue(now: Int64, thread: BackgroundThread) {
        let due = shared.withLock { shared in shared.queue.filter { $0.nextAttempt <= now } }
        for item in due {
            guard !thread.isStopping else { return }
            guard let notification = NotificationCoding.decode(item.payload),
                let integration = config.receivers[item.receiver]?.integrations[safe: item.integration]
            else {
                // Its receiver is gone from the configuration: nothing to deliver it to.
                remove(item.id)
                continue
            }
            do {
                try delivery.deliver(notification, via: integration)
                remove(item.id)
                let recovered = shared.withLock { shared in
                    shared.statistics.sent += 1
                    return shared.failing.remove(item.receiver + "/" + integration.kind) != nil
                }
                if recovered {
                    logger.notice(
                        "notifications delivered again",
                        metadata: ["receiver": "\(item.receiver)", "via": "\(integration.kind)"])
                }
            } catch {
                var retry = item
                retry.attempts += 1
                retry.nextAttempt = clock() + min(300_000, 1_000 << min(retry.attempts - 1, 20))
                let first = shared.withLock { shared in
                    shared.statistics.failed += 1
                    if let index = shared.queue.firstIndex(where: { $0.id == item.id }) { shared.queue[index] = retry }
                    return shared.failing.insert(item.receiver + "/" + integration.kind).inserted
                }
                writer.record(queued: [retry])
                if first {
                    logger.warning(
                        "cannot deliver notifications; retrying with backoff",
                        metadata: ["receiver": "\(item.receiver)", "via": "\(integration.kind)", "error": "\(error)"])
                }
            }
        }
    }

    private func remove(_ id: Int64) {
        shared.withLock { shared in
            shared.queue.removeAll { $0.id == id }
            shared.statistics.queued = shared.queue.count
        }
        writer.record(delivered: [id])
    }
}

extension Array {
    fileprivate subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

/// A notification as JSON, for the durable queue: label sets as lists of name-value pairs, times in
/// milliseconds.
enum NotificationCoding {
    private struct Payload: Codable {
        var receiver: String
        var groupKey: String
        var groupLabels: [[String]]
        var time: Int64
        var alerts: [Item]
    }

    private struct Item: Codable {
        var labels: [[String]]
        var annotations: [[String]]
        var startsAt: Int64
        var endsAt: Int64?
    }

    private static func pairs(_ labels: Labels) -> [[String]] { labels.pairs.map { [$0.name, $0.value] } }
    private static func labels(_ pairs: [[String]]) -> Labels {
        Labels(pairs.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil })
    }

    static func encode(_ notification: Notification) -> [UInt8] {
        let payload = Payload(
            receiver: notification.receiver, groupKey: notification.groupKey,
            groupLabels: pairs(notification.groupLabels), time: notification.time,
            alerts: notification.alerts.map { alert in
                Item(
                    labels: pairs(alert.labels), annotations: pairs(alert.annotations), startsAt: alert.startsAt,
                    endsAt: alert.endsAt)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(payload)).map(Array.init) ?? Array("{}".utf8)
    }

    static func decode(_ bytes: [UInt8]) -> Notification? {
        guard let payload = try? JSONDecoder().decode(Payload.self, from: Data(bytes)) else { return nil }
        return Notification(
            receiver: payload.receiver, groupKey: payload.groupKey, groupLabels: labels(payload.groupLabels),
            alerts: payload.alerts.map { item in
                NotifiableAlert(
                    labels: labels(item.labels), annotations: labels(item.annotations), startsAt: item.startsAt,
                    endsAt: item.endsAt)
            }, time: payload.time)
    }
}

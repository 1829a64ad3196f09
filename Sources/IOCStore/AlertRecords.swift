import Glibc
public import IOCCore

/// One change of an alert: it became pending, fired, resolved, or stopped before firing.
public struct AlertHistoryEntry: Sendable, Equatable {
    public var time: Int64
    /// `pending`, `firing`, `resolved` or `cancelled`.
    public var kind: String
    public var rule: String
    public var labels: Labels
    public var annotations: Labels
    public var value: Double
    public var activeAt: Int64

    public init(
        time: Int64, kind: String, rule: String, labels: Labels, annotations: Labels, value: Double, activeAt: Int64
    ) {
        self.time = time
        self.kind = kind
        self.rule = rule
        self.labels = labels
        self.annotations = annotations
        self.value = value
        self.activeAt = activeAt
    }

    public static func == (lhs: AlertHistoryEntry, rhs: AlertHistoryEntry) -> Bool {
        lhs.time == rhs.time && lhs.kind == rhs.kind && lhs.rule == rhs.rule && lhs.labels == rhs.labels
            && lhs.annotations == rhs.annotations && lhs.value.bitPattern == rhs.value.bitPattern
            && lhs.activeAt == rhs.activeAt
    }
}

/// Alert records queued for the writer: each rule's alerts as they now stand (replacing what the
/// store had for the rule) and the changes since the last commit.
struct AlertRecords {
    var rules: [String: [Alert]] = [:]
    var history: [AlertHistoryEntry] = []

    var isEmpty: Bool { rules.isEmpty && history.isEmpty }

    mutating func merge(_ other: AlertRecords) {
        rules.merge(other.rules) { $1 }
        history += other.history
    }
}

extension WriterConnection {
    /// Replaces the stored alerts of each rule in `records` and appends the history, in one
    /// transaction.
    func write(_ records: AlertRecords) throws(StoreError) {
        try StoreSchema.makeLaterTables(database)
        try database.transaction { () throws(StoreError) in
            let clear = try database.prepare("DELETE FROM alerts WHERE rule = ?")
            let insert = try database.prepare(
                """
                INSERT OR REPLACE INTO alerts (rule, labels, annotations, state, active_at, fired_at, resolved_at,
                    keep_firing_since, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for (rule, alerts) in records.rules.sorted(by: { $0.key < $1.key }) {
                clear.bind(1, rule)
                try clear.run()
                for alert in alerts {
                    insert.bind(1, rule)
                    insert.bind(2, StoreSchema.encode(alert.labels))
                    insert.bind(3, StoreSchema.encode(alert.annotations))
                    insert.bind(4, alert.state.rawValue)
                    insert.bind(5, alert.activeAt)
                    insert.bind(6, alert.firedAt)
                    insert.bind(7, alert.resolvedAt)
                    insert.bind(8, alert.keepFiringSince)
                    insert.bind(9, Int64(bitPattern: alert.value.bitPattern))
                    try insert.run()
                }
            }
            let history = try database.prepare(
                """
                INSERT INTO alert_history (time, kind, rule, labels, annotations, value, active_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for entry in records.history {
                history.bind(1, entry.time)
                history.bind(2, entry.kind)
                history.bind(3, entry.rule)
                history.bind(4, StoreSchema.encode(entry.labels))
                history.bind(5, StoreSchema.encode(entry.annotations))
                history.bind(6, Int64(bitPattern: entry.value.bitPattern))
                history.bind(7, entry.activeAt)
                try history.run()
            }
        }
    }
}

extension StoreReader {
    /// The alerts the daemon holds (pending, firing, and resolved ones kept a while), by rule and labels.
    public func alerts() throws(StoreError) -> [RuleAlert] {
        guard try hasAlertTables() else { return [] }
        let statement = try database.prepare(
            """
            SELECT rule, labels, annotations, state, active_at, fired_at, resolved_at, keep_firing_since, value
            FROM alerts ORDER BY rule, labels
            """)
        var result: [RuleAlert] = []
        while try statement.step() {
            guard let labels = statement.withBlob(1, StoreSchema.decode),
                let annotations = statement.withBlob(2, StoreSchema.decode)
            else { throw StoreError(path: path, "an alert's labels are damaged") }
            // A state this version does not know (a newer iocd wrote it) is left out, not guessed.
            guard let state = AlertState(rawValue: statement.string(3)) else { continue }
            result.append(
                RuleAlert(
                    rule: statement.string(0),
                    alert: Alert(
                        labels: labels, annotations: annotations, state: state, activeAt: statement.int64(4),
                        firedAt: statement.optionalInt64(5), resolvedAt: statement.optionalInt64(6),
                        keepFiringSince: statement.optionalInt64(7), value: statement.doubleFromBits(8))))
        }
        return result
    }

    /// The changes of alerts in `start...end`, oldest first, at most `limit` (the latest ones).
    public func alertHistory(from start: Int64 = .min, through end: Int64 = .max, limit: Int = 1_000)
        throws(StoreError) -> [AlertHistoryEntry]
    {
        guard try hasAlertTables() else { return [] }
        let statement = try database.prepare(
            """
            SELECT time, kind, rule, labels, annotations, value, active_at, id FROM alert_history
            WHERE time BETWEEN ? AND ? ORDER BY time DESC, id DESC LIMIT ?
            """)
        statement.bind(1, start)
        statement.bind(2, end)
        statement.bind(3, Int64(limit))
        var result: [AlertHistoryEntry] = []
        var decoded: [Int64: AlertHistoryEntry] = [:]
        while try statement.step() {
            // Entries never change: a reader that reads them again (the dashboard, every second)
            // decodes only the new ones. Time, kind and rule tell a number used again apart.
            let id = statement.int64(7)
            if let known = decodedHistory[id], known.time == statement.int64(0), known.kind == statement.string(1),
                known.rule == statement.string(2)
            {
                result.append(known)
                decoded[id] = known
                continue
            }
            guard let labels = statement.withBlob(3, StoreSchema.decode),
                let annotations = statement.withBlob(4, StoreSchema.decode)
            else { throw StoreError(path: path, "an alert history entry's labels are damaged") }
            let entry = AlertHistoryEntry(
                time: statement.int64(0), kind: statement.string(1), rule: statement.string(2), labels: labels,
                annotations: annotations, value: statement.doubleFromBits(5), activeAt: statement.int64(6))
            result.append(entry)
            decoded[id] = entry
        }
        // What this read returned, the next is likely to return again; nothing else is kept.
        decodedHistory = decoded
        return result.reversed()
    }

    private func hasAlertTables() throws(StoreError) -> Bool { try StoreSchema.hasLaterTables(database) }
}

/// A notification waiting to be delivered through one integration of a receiver.
public struct QueuedNotification: Sendable, Equatable {
    public var id: Int64
    public var receiver: String
    public var integration: Int
    public var payload: [UInt8]
    public var attempts: Int
    public var nextAttempt: Int64
    public var createdAt: Int64

    public init(
        id: Int64, receiver: String, integration: Int, payload: [UInt8], attempts: Int, nextAttempt: Int64,
        createdAt: Int64
    ) {
        self.id = id
        self.receiver = receiver
        self.integration = integration
        self.payload = payload
        self.attempts = attempts
        self.nextAttempt = nextAttempt
        self.createdAt = createdAt
    }
}

/// Silences are written by `ioc silence` (another process) on a connection of its own; SQLite
/// serialises it with the daemon's writer.
public final class SilenceStore {
    private let database: Database

    public init(path: String) throws(StoreError) {
        try StoreError.checkReadable(path, writable: true)
        database = try Database(path: path, readOnly: false)
        try StoreSchema.checkForReading(database)
        guard try StoreSchema.hasLaterTables(database) else {
            guard try database.scalarInt("PRAGMA user_version") >= 10 else {
                throw StoreError(path: path, "written by an older IOC; start iocd once to bring it up to date")
            }
            // A store that has held no alert yet.
            try StoreSchema.makeLaterTables(database)
            return
        }
    }

    public func add(_ silence: Silence) throws(StoreError) {
        let statement = try database.prepare(
            "INSERT INTO silences (id, matchers, starts_at, ends_at, created_by, comment) VALUES (?, ?, ?, ?, ?, ?)")
        try statement.run(
            .text(silence.id), .text(silence.text), .integer(silence.startsAt), .integer(silence.endsAt),
            .text(silence.createdBy), .text(silence.comment))
    }

    /// Ends a silence now; false when there is no such silence or it had already ended.
    public func expire(_ id: String, at time: Int64) throws(StoreError) -> Bool {
        let statement = try database.prepare("UPDATE silences SET ends_at = ? WHERE id = ? AND ends_at > ?")
        statement.bind(1, time)
        statement.bind(2, id)
        statement.bind(3, time)
        try statement.run()
        return try database.scalarInt("SELECT changes()") > 0
    }
}

extension WriterConnection {
    func write(log entries: [NotificationLogRecord], queued: [QueuedNotification], delivered: [Int64])
        throws(StoreError)
    {
        guard !entries.isEmpty || !queued.isEmpty || !delivered.isEmpty else { return }
        try StoreSchema.makeLaterTables(database)
        try database.transaction { () throws(StoreError) in
            let log = try database.prepare(
                "INSERT OR REPLACE INTO notification_log (key, firing, sent_at) VALUES (?, ?, ?)")
            for entry in entries { try log.run(.text(entry.key), .text(entry.firing), .integer(entry.sentAt)) }
            let upsert = try database.prepare(
                """
                INSERT OR REPLACE INTO notification_queue (id, receiver, integration, payload, attempts, next_attempt,
                    created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for item in queued {
                upsert.bind(1, item.id)
                upsert.bind(2, item.receiver)
                upsert.bind(3, Int64(item.integration))
                upsert.bind(4, item.payload)
                upsert.bind(5, Int64(item.attempts))
                upsert.bind(6, item.nextAttempt)
                upsert.bind(7, item.createdAt)
                try upsert.run()
            }
            let delete = try database.prepare("DELETE FROM notification_queue WHERE id = ?")
            for id in delivered {
                delete.bind(1, id)
                try delete.run()
            }
        }
    }
}

/// A notification log entry as stored: the fingerprints as text.
public struct NotificationLogRecord: Sendable, Equatable {
    public var key: String
    /// Hexadecimal fingerprints separated by commas.
    public var firing: String
    public var sentAt: Int64

    public init(key: String, firing: String, sentAt: Int64) {
        self.key = key
        self.firing = firing
        self.sentAt = sentAt
    }
}

extension StoreReader {
    /// The silences, their matchers read by `parse` (PromQL's selector syntax: the store does not
    /// know it); one whose matchers do not parse is left out, as it silences nothing.
    public func silences(parsing parse: (String) -> [LabelMatcher]?) throws(StoreError) -> [Silence] {
        guard try StoreSchema.hasLaterTables(database) else {
            return []
        }
        let statement = try database.prepare(
            "SELECT id, matchers, starts_at, ends_at, created_by, comment FROM silences ORDER BY starts_at, id")
        var result: [Silence] = []
        while try statement.step() {
            let text = statement.string(1)
            guard let matchers = parse(text) else { continue }
            result.append(
                Silence(
                    id: statement.string(0), matchers: matchers, text: text, startsAt: statement.int64(2),
                    endsAt: statement.int64(3), createdBy: statement.string(4), comment: statement.string(5)))
        }
        return result
    }

    public func notificationLog() throws(StoreError) -> [NotificationLogRecord] {
        guard try StoreSchema.hasLaterTables(database) else {
            return []
        }
        let statement = try database.prepare("SELECT key, firing, sent_at FROM notification_log")
        var result: [NotificationLogRecord] = []
        while try statement.step() {
            result.append(
                NotificationLogRecord(key: statement.string(0), firing: statement.string(1), sentAt: statement.int64(2))
            )
        }
        return result
    }

    public func notificationQueue() throws(StoreError) -> [QueuedNotification] {
        guard try StoreSchema.hasLaterTables(database) else {
            return []
        }
        let statement = try database.prepare(
            """
            SELECT id, receiver, integration, payload, attempts, next_attempt, created_at FROM notification_queue
            ORDER BY id
            """)
        var result: [QueuedNotification] = []
        while try statement.step() {
            result.append(
                QueuedNotification(
                    id: statement.int64(0), receiver: statement.string(1), integration: Int(statement.int64(2)),
                    payload: statement.withBlob(3) { Array($0) }, attempts: Int(statement.int64(4)),
                    nextAttempt: statement.int64(5), createdAt: statement.int64(6)))
        }
        return result
    }
}

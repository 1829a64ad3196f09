public import IOCCore

/// An alert as the store keeps it between evaluations, so that a restarted daemon neither sends a
/// firing alert again nor starts a pending one's `for` from zero.
public struct StoredAlert: Sendable, Equatable {
    /// The rule it belongs to: `file`, group and rule name (see `AlertRuleKey`).
    public var rule: String
    public var labels: Labels
    public var annotations: Labels
    /// `pending`, `firing` or `inactive` (resolved, kept a while so that the resolution is sent).
    public var state: String
    public var activeAt: Int64
    public var firedAt: Int64?
    public var resolvedAt: Int64?
    public var keepFiringSince: Int64?
    public var value: Double

    public init(
        rule: String, labels: Labels, annotations: Labels, state: String, activeAt: Int64, firedAt: Int64?,
        resolvedAt: Int64?, keepFiringSince: Int64?, value: Double
    ) {
        self.rule = rule
        self.labels = labels
        self.annotations = annotations
        self.state = state
        self.activeAt = activeAt
        self.firedAt = firedAt
        self.resolvedAt = resolvedAt
        self.keepFiringSince = keepFiringSince
        self.value = value
    }

    public static func == (lhs: StoredAlert, rhs: StoredAlert) -> Bool {
        lhs.rule == rhs.rule && lhs.labels == rhs.labels && lhs.annotations == rhs.annotations
            && lhs.state == rhs.state && lhs.activeAt == rhs.activeAt && lhs.firedAt == rhs.firedAt
            && lhs.resolvedAt == rhs.resolvedAt && lhs.keepFiringSince == rhs.keepFiringSince
            && lhs.value.bitPattern == rhs.value.bitPattern
    }
}

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
    var rules: [String: [StoredAlert]] = [:]
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
                    insert.bind(4, alert.state)
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
    public func alerts() throws(StoreError) -> [StoredAlert] {
        guard try hasAlertTables() else { return [] }
        let statement = try database.prepare(
            """
            SELECT rule, labels, annotations, state, active_at, fired_at, resolved_at, keep_firing_since, value
            FROM alerts ORDER BY rule, labels
            """)
        var result: [StoredAlert] = []
        while try statement.step() {
            guard let labels = statement.withBlob(1, StoreSchema.decode),
                let annotations = statement.withBlob(2, StoreSchema.decode)
            else { throw StoreError(path: path, "an alert's labels are damaged") }
            result.append(
                StoredAlert(
                    rule: statement.string(0), labels: labels, annotations: annotations, state: statement.string(3),
                    activeAt: statement.int64(4), firedAt: statement.optionalInt64(5),
                    resolvedAt: statement.optionalInt64(6), keepFiringSince: statement.optionalInt64(7),
                    value: statement.doubleFromBits(8)))
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
            SELECT time, kind, rule, labels, annotations, value, active_at FROM alert_history
            WHERE time BETWEEN ? AND ? ORDER BY time DESC, id DESC LIMIT ?
            """)
        statement.bind(1, start)
        statement.bind(2, end)
        statement.bind(3, Int64(limit))
        var result: [AlertHistoryEntry] = []
        while try statement.step() {
            guard let labels = statement.withBlob(3, StoreSchema.decode),
                let annotations = statement.withBlob(4, StoreSchema.decode)
            else { throw StoreError(path: path, "an alert history entry's labels are damaged") }
            result.append(
                AlertHistoryEntry(
                    time: statement.int64(0), kind: statement.string(1), rule: statement.string(2), labels: labels,
                    annotations: annotations, value: statement.doubleFromBits(5), activeAt: statement.int64(6)))
        }
        return result.reversed()
    }

    private func hasAlertTables() throws(StoreError) -> Bool {
        try database.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'alerts'") > 0
    }
}

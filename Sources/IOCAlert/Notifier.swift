import Foundation
public import IOCCore

/// An alert as the notifier sees it: firing, or resolved at `endsAt`.
public struct NotifiableAlert: Sendable, Equatable {
    public var labels: Labels
    public var annotations: Labels
    public var startsAt: Int64
    public var endsAt: Int64?

    public init(labels: Labels, annotations: Labels, startsAt: Int64, endsAt: Int64? = nil) {
        self.labels = labels
        self.annotations = annotations
        self.startsAt = startsAt
        self.endsAt = endsAt
    }

    public var isResolved: Bool { endsAt != nil }
    /// Stable across restarts and processes: a hash of the label set's text.
    public var fingerprint: UInt64 { labels.stableHash }
}

/// One message for one receiver: a group's firing alerts and the resolutions since the last one.
public struct Notification: Sendable, Equatable {
    public var receiver: String
    public var groupKey: String
    public var groupLabels: Labels
    public var alerts: [NotifiableAlert]
    /// When the notifier made it (ms).
    public var time: Int64

    public init(receiver: String, groupKey: String, groupLabels: Labels, alerts: [NotifiableAlert], time: Int64) {
        self.receiver = receiver
        self.groupKey = groupKey
        self.groupLabels = groupLabels
        self.alerts = alerts
        self.time = time
    }

    public var isFiring: Bool { alerts.contains { !$0.isResolved } }
}

/// What the notifier last sent for a group, kept in the store so that a restart does not send again.
public struct NotificationLogEntry: Sendable, Equatable {
    public var key: String
    public var firing: Set<UInt64>
    public var sentAt: Int64

    public init(key: String, firing: Set<UInt64>, sentAt: Int64) {
        self.key = key
        self.firing = firing
        self.sentAt = sentAt
    }
}

/// Alertmanager's dispatching as a plain value, tested without clocks or I/O: alerts are routed to
/// receivers through the routing tree and gathered in groups by the route's `group_by` labels; a new
/// group is sent after `group_wait`, then at most every `group_interval` when an alert of it fired or
/// resolved, and every `repeat_interval` while it fires. Silenced, inhibited and maintenance-muted
/// alerts are left out; the resolution of an alert that was sent still goes out, muted or not, so
/// that the incident it opened is closed.
public struct NotifierState: Sendable {
    public let config: NotifierConfig

    private struct Group {
        var receiver: String
        var route: NotifierConfig.Route
        var labels: Labels
        var alerts: Set<UInt64> = []
        var nextFlush: Int64
    }

    /// Every alert known, by fingerprint, with the sources (rules) that give it.
    private var alerts: [UInt64: NotifiableAlert] = [:]
    private var sources: [String: Set<UInt64>] = [:]
    private var groups: [String: Group] = [:]
    public private(set) var log: [String: NotificationLogEntry] = [:]
    /// Log entries changed since `takeChangedLog()`.
    private var changedLog: [String: NotificationLogEntry] = [:]

    public init(config: NotifierConfig, log: [NotificationLogEntry] = []) {
        self.config = config
        for entry in log { self.log[entry.key] = entry }
    }

    /// The alerts of one source (a rule) as they now stand: firing ones, and resolved ones still
    /// kept. An alert the source no longer gives, which was firing, is resolved now.
    public mutating func update(_ current: [NotifiableAlert], from source: String, at now: Int64) {
        var seen: Set<UInt64> = []
        for alert in current {
            let key = alert.fingerprint
            seen.insert(key)
            alerts[key] = alert
            route(key, alert, at: now)
        }
        for gone in sources[source, default: []].subtracting(seen) {
            if var alert = alerts[gone], !alert.isResolved {
                alert.endsAt = now
                alerts[gone] = alert
            }
        }
        sources[source] = seen
    }

    /// The routes an alert goes to: the deepest matching route of each branch, as Alertmanager does
    /// (the first matching child unless a route says `continue`).
    public static func routes(for labels: Labels, in route: NotifierConfig.Route, path: String = "0")
        -> [(String, NotifierConfig.Route)]
    {
        var result: [(String, NotifierConfig.Route)] = []
        for (index, child) in route.routes.enumerated() where child.matchers.allSatisfy({ $0.matches(labels) }) {
            result += routes(for: labels, in: child, path: path + "." + String(index))
            if !child.continue { break }
        }
        return result.isEmpty ? [(path, route)] : result
    }

    private mutating func route(_ key: UInt64, _ alert: NotifiableAlert, at now: Int64) {
        for (path, route) in NotifierState.routes(for: alert.labels, in: config.route) {
            let groupLabels: Labels
            if let names = route.groupBy {
                groupLabels = Labels(names.compactMap { name in alert.labels[name].map { (name, $0) } })
            } else {
                groupLabels = alert.labels
            }
            let groupKey = "\(path):\(groupLabels)"
            if groups[groupKey] == nil {
                // A resolution starts a group only when its firing was sent (before a restart, say).
                let wasSent = log[route.receiver + "|" + groupKey]?.firing.contains(key) ?? false
                guard !alert.isResolved || wasSent else { continue }
                let forwarding = isForwarding(route.receiver)
                groups[groupKey] = Group(
                    receiver: route.receiver, route: route, labels: groupLabels,
                    nextFlush: now + (forwarding ? 0 : route.groupWait.inMilliseconds))
            }
            groups[groupKey]?.alerts.insert(key)
        }
    }

    /// A receiver that posts to an Alertmanager: it gets every firing alert at least once a minute,
    /// as Prometheus sends them, so that the central Alertmanager keeps them and groups them itself.
    private func isForwarding(_ receiver: String) -> Bool {
        config.receivers[receiver]?.integrations.contains { if case .alertmanager = $0 { true } else { false } }
            ?? false
    }

    /// Whether an alert is muted now: by a silence, an inhibition or a maintenance window.
    public func isMuted(_ alert: NotifiableAlert, silences: [Silence], at now: Int64) -> Bool {
        if silences.contains(where: { $0.isActive(at: now) && $0.silences(alert.labels) }) { return true }
        if config.maintenanceWindows.contains(where: { $0.mutes(alert.labels, at: now) }) { return true }
        for rule in config.inhibitRules where rule.target.allSatisfy({ $0.matches(alert.labels) }) {
            // Checked against the alerts held, without building a list of them for every alert.
            if alerts.values.contains(where: { !$0.isResolved && rule.inhibits(alert.labels, by: $0.labels) }) {
                return true
            }
        }
        return false
    }

    /// The notifications due at `now`.
    public mutating func flush(at now: Int64, silences: [Silence]) -> [Notification] {
        var notifications: [Notification] = []
        for key in groups.keys.sorted() {
            guard var group = groups[key], group.nextFlush <= now else { continue }
            let forwarding = isForwarding(group.receiver)
            let members = group.alerts.compactMap { alerts[$0].map { ($0.fingerprint, $0) } }
            let logKey = group.receiver + "|" + key
            let previous = log[logKey]
            let firing = members.filter { !$0.1.isResolved && !isMuted($0.1, silences: silences, at: now) }
            let firingKeys = Set(firing.map(\.0))
            // A resolution is sent when its firing was.
            let resolved = members.filter { $0.1.isResolved && (previous?.firing.contains($0.0) ?? false) }
            let repeatEvery = forwarding ? 60_000 : group.route.repeatInterval.inMilliseconds
            var send = false
            if !firing.isEmpty || !resolved.isEmpty {
                if let previous {
                    send =
                        !firingKeys.isSubset(of: previous.firing) || !resolved.isEmpty
                        || (!firing.isEmpty && now - previous.sentAt >= repeatEvery)
                } else {
                    send = !firing.isEmpty
                }
            }
            if send {
                notifications.append(
                    Notification(
                        receiver: group.receiver, groupKey: key, groupLabels: group.labels,
                        alerts: (firing + resolved).map(\.1).sorted { $0.labels < $1.labels }, time: now))
                // Alerts sent as firing and muted since stay in the log, so that their resolution goes out.
                let stillFiringMuted = (previous?.firing ?? []).filter { fingerprint in
                    alerts[fingerprint].map { !$0.isResolved } ?? false
                }
                let entry = NotificationLogEntry(key: logKey, firing: firingKeys.union(stillFiringMuted), sentAt: now)
                log[logKey] = entry
                changedLog[logKey] = entry
            }
            // Resolved alerts leave the group once the flush has dealt with them.
            for (fingerprint, alert) in members where alert.isResolved { group.alerts.remove(fingerprint) }
            group.nextFlush = now + (forwarding ? 60_000 : group.route.groupInterval.inMilliseconds)
            groups[key] = group.alerts.isEmpty ? nil : group
        }
        // Resolved alerts in no group any more are forgotten.
        let grouped = Set(groups.values.flatMap(\.alerts))
        for (fingerprint, alert) in alerts where alert.isResolved && !grouped.contains(fingerprint) {
            alerts[fingerprint] = nil
            for source in sources.keys { sources[source]?.remove(fingerprint) }
        }
        return notifications
    }

    /// Log entries changed since the last call, for the store.
    public mutating func takeChangedLog() -> [NotificationLogEntry] {
        defer { changedLog = [:] }
        return Array(changedLog.values)
    }

    /// The earliest time a group is due, for the notifier's thread to sleep until.
    public var nextFlush: Int64? { groups.values.map(\.nextFlush).min() }

    /// The alerts known now, for the dashboard and tests.
    public var knownAlerts: [NotifiableAlert] { alerts.values.sorted { $0.labels < $1.labels } }
}

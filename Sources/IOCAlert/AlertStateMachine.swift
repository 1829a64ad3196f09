public import IOCCore

/// A change of an alert at an evaluation: what the history records and the notifier acts on.
public struct AlertTransition: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// The condition started to hold; `for` has not yet elapsed.
        case pending
        case firing
        /// It was firing and no longer is.
        case resolved
        /// The condition stopped holding before `for` elapsed: nothing was ever sent.
        case cancelled
    }

    public var kind: Kind
    public var alert: Alert
    public var time: Int64
}

/// The alerts of one alerting rule through its evaluations, with Prometheus' semantics: an alert
/// is pending from the first evaluation whose result holds it until `for` has elapsed, then firing;
/// when the result no longer holds it, a pending alert is dropped and a firing one resolves, unless
/// `keep_firing_for` keeps it firing that much longer; a resolved alert is kept 15 minutes so that
/// its resolution is sent. A plain value: the evaluator feeds it each evaluation's result and acts
/// on the transitions it returns, so it is tested without clocks or I/O.
public struct AlertStateMachine: Sendable, Equatable {
    public let holdFor: Int64
    public let keepFiringFor: Int64
    /// The alerts by the fingerprint of their labels.
    public private(set) var alerts: [Fingerprint: Alert] = [:]
    /// How long a resolved alert is kept, as Prometheus' `resolvedRetention`.
    public static let resolvedRetention: Int64 = 15 * 60_000

    public init(holdFor: Duration, keepFiringFor: Duration = .zero) {
        self.holdFor = holdFor.inMilliseconds
        self.keepFiringFor = keepFiringFor.inMilliseconds
    }

    /// Restores alerts saved before a restart.
    public init(holdFor: Duration, keepFiringFor: Duration, restoring saved: [Alert]) {
        self.init(holdFor: holdFor, keepFiringFor: keepFiringFor)
        for alert in saved { alerts[alert.labels.fingerprint] = alert }
    }

    /// One evaluation at `time` (ms): the alerts the expression gives now (labels with `alertname`,
    /// expanded annotations, value). Returns what changed.
    public mutating func evaluate(_ results: [(labels: Labels, annotations: Labels, value: Double)], at time: Int64)
        -> [AlertTransition]
    {
        var transitions: [AlertTransition] = []
        var present: Set<Fingerprint> = []
        for result in results {
            let key = result.labels.fingerprint
            present.insert(key)
            if var alert = alerts[key], alert.state != .inactive {
                alert.value = result.value
                alert.annotations = result.annotations
                alerts[key] = alert
                continue
            }
            let alert = Alert(
                labels: result.labels, annotations: result.annotations, state: .pending, activeAt: time,
                value: result.value)
            alerts[key] = alert
            if holdFor > 0 { transitions.append(AlertTransition(kind: .pending, alert: alert, time: time)) }
        }
        for key in Array(alerts.keys) {
            guard var alert = alerts[key] else { continue }
            if !present.contains(key) {
                var keepFiring = false
                if alert.state == .firing && keepFiringFor > 0 {
                    let since = alert.keepFiringSince ?? time
                    alert.keepFiringSince = since
                    keepFiring = time - since < keepFiringFor
                }
                if alert.state == .pending
                    || (alert.resolvedAt.map { time - $0 > AlertStateMachine.resolvedRetention } ?? false)
                {
                    alerts[key] = nil
                    if alert.state == .pending {
                        alert.state = .inactive
                        transitions.append(AlertTransition(kind: .cancelled, alert: alert, time: time))
                    }
                    continue
                }
                if alert.state != .inactive && !keepFiring {
                    alert.state = .inactive
                    alert.resolvedAt = time
                    transitions.append(AlertTransition(kind: .resolved, alert: alert, time: time))
                }
                alerts[key] = alert
                continue
            }
            alert.keepFiringSince = nil
            if alert.state == .pending && time - alert.activeAt >= holdFor {
                alert.state = .firing
                alert.firedAt = time
                transitions.append(AlertTransition(kind: .firing, alert: alert, time: time))
            }
            alerts[key] = alert
        }
        return transitions
    }

    /// The pending and firing alerts (resolved ones still kept are left out), in label order.
    public var active: [Alert] {
        alerts.values.filter { $0.state != .inactive }.sorted { $0.labels < $1.labels }
    }

    /// Every alert held, resolved ones included, in label order.
    public var all: [Alert] { alerts.values.sorted { $0.labels < $1.labels } }
}

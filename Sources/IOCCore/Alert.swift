/// Where an alert stands: its rule's condition holds but not yet for `for` (pending), it holds and
/// is notified (firing), or it no longer holds and its resolution is kept a while (inactive).
public enum AlertState: String, Sendable, Codable {
    case pending, firing, inactive
}

/// One alert instance of an alerting rule: its identifying labels (with `alertname`), what it says,
/// and where it stands.
public struct Alert: Sendable, Equatable {
    public typealias State = AlertState

    public var labels: Labels
    public var annotations: Labels
    public var state: State
    /// When the condition started to hold (ms).
    public var activeAt: Int64
    public var firedAt: Int64?
    /// When it stopped firing; kept for a while so that the resolution is sent.
    public var resolvedAt: Int64?
    /// When the condition stopped holding while `keep_firing_for` keeps it firing.
    public var keepFiringSince: Int64?
    /// The expression's value at the last evaluation that produced it.
    public var value: Double

    public init(
        labels: Labels, annotations: Labels, state: State, activeAt: Int64, firedAt: Int64? = nil,
        resolvedAt: Int64? = nil, keepFiringSince: Int64? = nil, value: Double
    ) {
        self.labels = labels
        self.annotations = annotations
        self.state = state
        self.activeAt = activeAt
        self.firedAt = firedAt
        self.resolvedAt = resolvedAt
        self.keepFiringSince = keepFiringSince
        self.value = value
    }

    public static func == (lhs: Alert, rhs: Alert) -> Bool {
        lhs.labels == rhs.labels && lhs.annotations == rhs.annotations && lhs.state == rhs.state
            && lhs.activeAt == rhs.activeAt && lhs.firedAt == rhs.firedAt && lhs.resolvedAt == rhs.resolvedAt
            && lhs.keepFiringSince == rhs.keepFiringSince && lhs.value.bitPattern == rhs.value.bitPattern
    }
}

/// An alert with the key of the rule that holds it (`file`, group and rule name; see
/// `AlertRuleKey`), as the store keeps it between evaluations, so that a restarted daemon neither
/// sends a firing alert again nor starts a pending one's `for` from zero; and as `ioc alerts`, the
/// API and the dashboards list them. The alert's fields read through it.
@dynamicMemberLookup
public struct RuleAlert: Sendable, Equatable {
    public var rule: String
    public var alert: Alert

    public init(rule: String, alert: Alert) {
        self.rule = rule
        self.alert = alert
    }

    public subscript<Value>(dynamicMember field: KeyPath<Alert, Value>) -> Value { alert[keyPath: field] }
}

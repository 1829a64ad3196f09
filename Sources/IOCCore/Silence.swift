/// A silence: alerts whose labels match every matcher are not sent between `startsAt` and `endsAt`
/// (ms), and the dashboards mark them. The one matching rule of silences: the notifier and the
/// dashboards both ask it. Stored as `StoredSilence`, its matchers as the text it was written with.
public struct Silence: Sendable, Equatable {
    public var id: String
    public var matchers: [LabelMatcher]
    public var startsAt: Int64
    public var endsAt: Int64
    public var createdBy: String
    public var comment: String

    public init(
        id: String, matchers: [LabelMatcher], startsAt: Int64, endsAt: Int64, createdBy: String, comment: String
    ) {
        self.id = id
        self.matchers = matchers
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.createdBy = createdBy
        self.comment = comment
    }

    public func isActive(at time: Int64) -> Bool { startsAt <= time && time < endsAt }
    public func silences(_ labels: Labels) -> Bool { matchers.allSatisfy { $0.matches(labels) } }
}

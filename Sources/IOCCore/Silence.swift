/// A silence: alerts whose labels match every matcher are not sent between `startsAt` and `endsAt`
/// (ms), and the dashboards mark them. The one matching rule of silences: the notifier and the
/// dashboards both ask it. The store keeps it as it is, its matchers as the text they were written
/// with.
public struct Silence: Sendable, Equatable {
    public var id: String
    public var matchers: [LabelMatcher]
    /// The matchers as written (`{severity="critical",province="Huế"}`).
    public var text: String
    public var startsAt: Int64
    public var endsAt: Int64
    public var createdBy: String
    public var comment: String

    /// A silence of `matchers`, written as `text` (by default as PromQL writes them).
    public init(
        id: String, matchers: [LabelMatcher], text: String? = nil, startsAt: Int64, endsAt: Int64, createdBy: String,
        comment: String
    ) {
        self.id = id
        self.matchers = matchers
        self.text = text ?? "{" + matchers.map(\.description).joined(separator: ",") + "}"
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.createdBy = createdBy
        self.comment = comment
    }

    public func isActive(at time: Int64) -> Bool { startsAt <= time && time < endsAt }
    public func silences(_ labels: Labels) -> Bool { matchers.allSatisfy { $0.matches(labels) } }
}

import IOCCore

/// The life of one alert instance: inactive → pending → firing → inactive (resolved), with Prometheus'
/// `for`. A plain value: the rule evaluator feeds it "is the condition active now?" and acts on the
/// transition it returns, so it is tested without clocks or I/O.
public struct AlertStateMachine: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case inactive
        /// The condition has held since this time (ms), not yet for long enough.
        case pending(since: Int64)
        /// Firing since this time (ms); `activeSince` is when the condition started to hold.
        case firing(since: Int64, activeSince: Int64)
    }

    /// What changed at an evaluation, for the notifier and the alert history.
    public enum Transition: Sendable, Equatable {
        case becamePending
        case fired
        case resolved
        /// The condition stopped holding before `for` elapsed: nothing was ever sent.
        case cancelled
    }

    public let holdFor: Duration
    public private(set) var state: State = .inactive

    public init(holdFor: Duration) { self.holdFor = holdFor }

    /// Records one evaluation at `time` (ms) and returns what changed, if anything.
    public mutating func evaluate(active: Bool, at time: Int64) -> Transition? {
        switch (state, active) {
        case (.inactive, false):
            return nil
        case (.inactive, true):
            if holdFor <= .zero {
                state = .firing(since: time, activeSince: time)
                return .fired
            }
            state = .pending(since: time)
            return .becamePending
        case (.pending(let since), true):
            guard time - since >= holdFor.inMilliseconds else { return nil }
            state = .firing(since: time, activeSince: since)
            return .fired
        case (.pending, false):
            state = .inactive
            return .cancelled
        case (.firing, true):
            return nil
        case (.firing, false):
            state = .inactive
            return .resolved
        }
    }
}

import IOCAlert
import Testing

@Suite struct AlertStateMachineTests {
    @Test func firesAfterPendingDuration() {
        var alert = AlertStateMachine(holdFor: .seconds(60))
        #expect(alert.evaluate(active: true, at: 0) == .becamePending)
        #expect(alert.evaluate(active: true, at: 30_000) == nil)
        #expect(alert.state == .pending(since: 0))
        #expect(alert.evaluate(active: true, at: 60_000) == .fired)
        #expect(alert.state == .firing(since: 60_000, activeSince: 0))
        #expect(alert.evaluate(active: true, at: 90_000) == nil)
        #expect(alert.evaluate(active: false, at: 120_000) == .resolved)
        #expect(alert.state == .inactive)
    }

    @Test func aShortBlipNeverFires() {
        var alert = AlertStateMachine(holdFor: .seconds(60))
        #expect(alert.evaluate(active: true, at: 0) == .becamePending)
        #expect(alert.evaluate(active: false, at: 15_000) == .cancelled)
        #expect(alert.evaluate(active: true, at: 30_000) == .becamePending)
        #expect(alert.evaluate(active: true, at: 75_000) == nil)
        #expect(alert.evaluate(active: true, at: 90_000) == .fired)
    }

    @Test func withoutForItFiresAtOnce() {
        var alert = AlertStateMachine(holdFor: .zero)
        #expect(alert.evaluate(active: false, at: 0) == nil)
        #expect(alert.evaluate(active: true, at: 1) == .fired)
    }
}

import IOCAlert
import IOCCore
import Testing

@Suite struct AlertStateMachineTests {
    let labels = Labels([("alertname", "PortalDown"), ("instance", "hn")])

    func holding(_ value: Double = 1) -> [(labels: Labels, annotations: Labels, value: Double)] {
        [(labels, Labels(), value)]
    }

    @Test func firesAfterPendingDuration() {
        var machine = AlertStateMachine(holdFor: .seconds(60))
        #expect(machine.evaluate(holding(), at: 0).map(\.kind) == [.pending])
        #expect(machine.evaluate(holding(), at: 30_000).isEmpty)
        #expect(machine.active.first?.state == .pending)
        let fired = machine.evaluate(holding(), at: 60_000)
        #expect(fired.map(\.kind) == [.firing])
        #expect(fired.first?.alert.activeAt == 0)
        #expect(fired.first?.alert.firedAt == 60_000)
    }

    @Test func aPendingAlertThatStopsIsCancelledNotResolved() {
        var machine = AlertStateMachine(holdFor: .seconds(60))
        _ = machine.evaluate(holding(), at: 0)
        #expect(machine.evaluate([], at: 15_000).map(\.kind) == [.cancelled])
        #expect(machine.all.isEmpty)
        // It starts from zero again.
        _ = machine.evaluate(holding(), at: 30_000)
        #expect(machine.evaluate(holding(), at: 60_000).isEmpty)
        #expect(machine.evaluate(holding(), at: 90_000).map(\.kind) == [.firing])
    }

    @Test func withoutForItFiresAtOnceAndResolves() {
        var machine = AlertStateMachine(holdFor: .zero)
        #expect(machine.evaluate(holding(), at: 0).map(\.kind) == [.firing])
        let resolved = machine.evaluate([], at: 15_000)
        #expect(resolved.map(\.kind) == [.resolved])
        #expect(resolved.first?.alert.resolvedAt == 15_000)
        #expect(machine.active.isEmpty)
        // Kept for 15 minutes so that the resolution is sent, then dropped.
        #expect(machine.all.count == 1)
        _ = machine.evaluate([], at: 15_000 + AlertStateMachine.resolvedRetention + 1)
        #expect(machine.all.isEmpty)
    }

    @Test func keepFiringForHoldsAFiringAlertThroughAGap() {
        var machine = AlertStateMachine(holdFor: .zero, keepFiringFor: .seconds(60))
        _ = machine.evaluate(holding(), at: 0)
        #expect(machine.evaluate([], at: 15_000).isEmpty)
        #expect(machine.evaluate([], at: 60_000).isEmpty)
        #expect(machine.active.first?.keepFiringSince == 15_000)
        // Holding again resets the clock.
        _ = machine.evaluate(holding(), at: 70_000)
        #expect(machine.active.first?.keepFiringSince == nil)
        _ = machine.evaluate([], at: 80_000)
        #expect(machine.evaluate([], at: 139_000).isEmpty)
        #expect(machine.evaluate([], at: 140_000).map(\.kind) == [.resolved])
    }

    @Test func aRestoredAlertKeepsItsPendingProgress() {
        var first = AlertStateMachine(holdFor: .seconds(60))
        _ = first.evaluate(holding(), at: 0)
        _ = first.evaluate(holding(), at: 30_000)
        var restored = AlertStateMachine(holdFor: .seconds(60), keepFiringFor: .zero, restoring: first.all)
        #expect(restored.evaluate(holding(), at: 45_000).isEmpty)
        #expect(restored.evaluate(holding(), at: 60_000).map(\.kind) == [.firing])
    }
}

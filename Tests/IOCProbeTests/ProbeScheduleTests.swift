import IOCCore
import IOCProbe
import Testing

@Suite struct ProbeScheduleTests {
    func target(_ name: String, interval: Duration = .seconds(5)) -> ProbeTarget {
        ProbeTarget(
            labels: Labels(["job": "j", "instance": name]), url: "http://\(name)/", interval: interval,
            timeout: .seconds(1), location: SourceLocation(file: "f", line: 1, column: 1))
    }

    @Test func eachTargetHasAStablePhaseWithinItsInterval() {
        let targets = (0..<200).map { target("t\($0)") }
        let now: Int64 = 1_800_000_000_123
        let schedule = ProbeSchedule(targets: targets, now: now)
        var phases = Set<Int64>()
        for (index, item) in targets.enumerated() {
            let due = schedule.dueTime(of: index)
            #expect(due >= now && due < now + 5000)
            #expect(due % 5000 == ProbeSchedule.offset(of: item, interval: 5000))
            phases.insert(due % 5000)
        }
        // Spread out: 200 targets do not collapse onto a handful of instants.
        #expect(phases.count > 150)
        // The same targets scheduled later keep their phases.
        let later = ProbeSchedule(targets: targets, now: now + 777_777)
        for index in targets.indices {
            #expect(later.dueTime(of: index) % 5000 == schedule.dueTime(of: index) % 5000)
        }
    }

    @Test func dueTimesAdvanceByWholeIntervalsWithoutDrift() {
        var schedule = ProbeSchedule(targets: [target("a", interval: .seconds(10))], now: 0)
        let first = schedule.dueTime(of: 0)
        #expect(schedule.takeDue(now: first - 1).isEmpty)
        // Taken 300 ms late: the next slot is still exactly one interval after the first.
        let taken = schedule.takeDue(now: first + 300)
        #expect(taken.map(\.due) == [first])
        #expect(schedule.dueTime(of: 0) == first + 10_000)
    }

    @Test func aStallSkipsMissedSlotsInsteadOfBursting() {
        var schedule = ProbeSchedule(targets: [target("a", interval: .seconds(10))], now: 0)
        let first = schedule.dueTime(of: 0)
        let taken = schedule.takeDue(now: first + 35_000)
        #expect(taken.count == 1)
        #expect(schedule.dueTime(of: 0) == first + 40_000)
    }

    @Test func noTargetsMeansNothingIsDue() {
        var schedule = ProbeSchedule(targets: [], now: 0)
        #expect(schedule.nextDue == nil)
        #expect(schedule.takeDue(now: 1_000_000).isEmpty)
    }

    /// As Prometheus' `--scrape.timestamp-tolerance`: a probe that starts close to its time is stamped
    /// with that time (regular timestamps cost a bit each in the store), one that starts late keeps
    /// its own, and so do feed samples that carried their own timestamps.
    @Test func resultsThatStartNearTheirTimeAreStampedWithIt() {
        var result = ProbeResult(
            timestamp: 1_000_020, durationSeconds: 0.1, success: true, degraded: false, failure: nil, response: nil,
            outcomes: [])
        let labels = Labels(["__name__": "m"])
        result.feedSamples = [
            LabeledSample(labels: labels, sample: Sample(timestamp: 1_000_020, value: 1)),
            LabeledSample(labels: labels, sample: Sample(timestamp: 900_000, value: 2)),
        ]
        let aligned = result.aligned(to: 1_000_000)
        #expect(aligned.timestamp == 1_000_000)
        #expect(aligned.feedSamples.map(\.sample.timestamp) == [1_000_000, 900_000])
        #expect(result.aligned(to: 1_000_020 - ProbeResult.timestampTolerance - 1).timestamp == 1_000_020)
        #expect(
            result.aligned(to: 1_000_020 + ProbeResult.timestampTolerance).timestamp == 1_000_020
                + ProbeResult.timestampTolerance)
    }
}

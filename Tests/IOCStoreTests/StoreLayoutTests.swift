import Foundation
import IOCCore
@testable import IOCStore
import TestSupport
import Testing

/// Relabelling series in place: the samples stay, the labels change, and two series never end up
/// with the same labels.
@Suite struct SeriesRelabelingTests {
    let start: Int64 = 1_790_000_000_000

    func store(_ directory: TemporaryDirectory, _ all: [Labels]) throws -> (path: String, ids: [Labels: Int64]) {
        let path = directory.file("ioc.db")
        let writer = try SampleWriter(path: path)
        writer.append(all.map { LabeledSample(labels: $0, sample: Sample(timestamp: start, value: 1)) })
        writer.close()
        let found = try StoreReader(path: path).series(matching: [])
        return (path, Dictionary(uniqueKeysWithValues: found.map { ($0.labels, $0.id) }))
    }

    @Test func seriesTakeNewLabelsWithTheirSamples() throws {
        let directory = try TemporaryDirectory()
        let old = Labels([("__name__", "up"), ("province", "Thừa Thiên Huế")])
        let (path, ids) = try store(directory, [old, Labels([("__name__", "up"), ("province", "Hà Nội")])])
        let new = Labels([("__name__", "up"), ("former_province", "Thừa Thiên Huế"), ("province", "Huế")])
        try SeriesRelabeling.apply([(ids[old]!, new)], path: path)
        let reader = try StoreReader(path: path)
        let moved = try reader.select([try LabelMatcher("province", .equal, "Huế")], from: .min, through: .max)
        #expect(moved.map(\.labels) == [new] && moved.first?.samples.count == 1)
        #expect(try reader.labelValues("province") == ["Huế", "Hà Nội"])
        #expect(try reader.labelNames() == ["__name__", "former_province", "province"])
        // The writer finds the series by its new labels: no new series.
        let writer = try SampleWriter(path: path)
        writer.append([LabeledSample(labels: new, sample: Sample(timestamp: start + 15_000, value: 0))])
        writer.close()
        #expect(writer.statistics.series == 0 && writer.statistics.written == 1)
    }

    @Test func twoSeriesNeverShareLabels() throws {
        let directory = try TemporaryDirectory()
        let (a, b, c) = (Labels([("job", "a")]), Labels([("job", "b")]), Labels([("job", "c")]))
        let (path, ids) = try store(directory, [a, b, c])
        // Onto a series that exists.
        #expect(throws: StoreError.self) { try SeriesRelabeling.apply([(ids[a]!, b)], path: path) }
        // Two onto the same new labels, in one call.
        let same = Labels([("job", "d")])
        #expect(throws: StoreError.self) {
            try SeriesRelabeling.apply([(ids[a]!, same), (ids[c]!, same)], path: path)
        }
        // Nothing was changed by either.
        #expect(Set(try StoreReader(path: path).series(matching: []).map(\.labels)) == [a, b, c])
        // A swap through a free name works when done in order.
        try SeriesRelabeling.apply([(ids[a]!, same), (ids[b]!, a), (ids[c]!, b)], path: path)
        #expect(Set(try StoreReader(path: path).series(matching: []).map(\.labels)) == [same, a, b])
    }
}

/// A store that holds samples alone has no tables of alerts, silences and notifications (a page
/// each); they are made when first written, and readers answer with nothing until then.
@Suite struct LaterTablesTests {
    @Test func alertTablesAreMadeWhenFirstWritten() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let writer = try SampleWriter(path: path)
        writer.append([
            LabeledSample(labels: Labels([("job", "a")]), sample: Sample(timestamp: 1_790_000_000_000, value: 1))
        ])
        writer.close()
        #expect(
            sqliteScalar(path, "SELECT count(*) FROM sqlite_master WHERE name IN ('alerts', 'silences', 'quarantine')")
                == 0)
        let reader = try StoreReader(path: path)
        #expect(try reader.alerts().isEmpty && reader.alertHistory().isEmpty)
        #expect(try reader.silences(parsing: { _ in [] }).isEmpty && reader.notificationQueue().isEmpty)

        // `ioc silence add` on such a store.
        let silence = Silence(
            id: "s1", matchers: [try LabelMatcher("job", .equal, "a")], startsAt: 0, endsAt: .max, createdBy: "op",
            comment: "maintenance")
        try SilenceStore(path: path).add(silence)
        #expect(try StoreReader(path: path).silences(parsing: { _ in silence.matchers }) == [silence])
        #expect(
            sqliteScalar(path, "SELECT count(*) FROM sqlite_master WHERE name IN ('alerts', 'silences', 'quarantine')")
                == 3)
        #expect(sqliteIntegrityCheck(path) == "ok")
    }
}

/// Hours close together: a series that moves on to the next hour after the others closed (a rule
/// every 5 minutes, three minutes past) waits for the next quarter-hour slot, rather than making
/// the writer rewrite the saved heads and every reader read them all again at once.
@Suite struct LateHoursTests {
    @Test func aLateSeriesClosesAtTheNextSlotNotAtOnce() throws {
        let directory = try TemporaryDirectory()
        let hour: Int64 = 3_600_000
        let first: Int64 = 500_000 * hour
        let clock = ManualClock(first)
        let writer = try SampleWriter(path: directory.file("ioc.db"), clock: clock.function)
        let fast = Labels([("__name__", "probe_success"), ("instance", "fast")])
        let slow = Labels([("__name__", "ioc_scorecard"), ("instance", "slow")])
        var closes: [Int64: Int] = [:]
        var closed = 0
        // Two hours at 15 s; the slow series every 5 minutes from 3 minutes past.
        for time in stride(from: first, to: first + 2 * hour, by: 15_000) {
            clock.set(time)
            var batch = [LabeledSample(labels: fast, sample: Sample(timestamp: time, value: 1))]
            if (time - first) % 300_000 == 180_000 {
                batch.append(LabeledSample(labels: slow, sample: Sample(timestamp: time, value: 2)))
            }
            writer.append(batch)
            writer.flush()
            if writer.statistics.chunks > closed {
                closes[(time - first - hour) / 60_000, default: 0] += writer.statistics.chunks - closed
                closed = writer.statistics.chunks
            }
        }
        writer.close()
        // The fast series' first hour at the end of the grace period, the slow one's at the next
        // slot after it moved on, 3 minutes past: not a second close at minute 3.
        #expect(closes == [2: 1, 17: 1], "\(closes)")
    }
}

/// A reader that stays open takes new series into label order as they come, a few at a time or
/// many: always the order a reader opened afresh gives. So does one in the writer's process, which
/// looks for new series only after the writer has committed some, also when commits in between
/// made none.
@Suite struct SeriesOrderTests {
    @Test func newSeriesTakeTheirPlaceInLabelOrder() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let writer = try SampleWriter(path: path)
        var generator = SplitMix64(seed: 4)
        var kept: StoreReader?
        let inProcess = try writer.makeReader()
        var all: [Labels] = []
        for round in 0..<12 {
            if let known = all.first {
                // A commit of samples only, read by the writer's reader before the next series.
                let time = 1_790_000_000_000 + Int64(round) * 1_000
                writer.append([LabeledSample(labels: known, sample: Sample(timestamp: time, value: 2))])
                writer.flush()
                #expect(try inProcess.series(matching: []).map(\.labels) == Array(Set(all)).sorted())
            }
            // One series a round, then a burst of many.
            let count = round == 6 ? 300 : 1 + round % 3
            let new = (0..<count).map { _ in
                Labels([("__name__", "up"), ("target", "t\(UInt32.random(in: 0...99_999, using: &generator))")])
            }
            all += new
            writer.append(new.map { LabeledSample(labels: $0, sample: Sample(timestamp: 1_790_000_000_000, value: 1)) })
            writer.flush()
            if kept == nil { kept = try StoreReader(path: path) }
            let fresh = try StoreReader(path: path).series(matching: []).map(\.labels)
            #expect(try kept?.series(matching: []).map(\.labels) == fresh, "round \(round)")
            #expect(try inProcess.series(matching: []).map(\.labels) == fresh, "round \(round), the writer's reader")
            #expect(fresh == Array(Set(all)).sorted(), "round \(round)")
        }
        writer.close()
    }
}

/// A reader that reads the alert history again (the dashboard, every second) decodes only new
/// entries, and gives what a fresh reader gives, also when the history was emptied and numbers
/// are used again.
@Suite struct AlertHistoryReadsTests {
    @Test func aKeptReaderGivesWhatAFreshOneGives() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        func entry(_ time: Int64, _ service: String) -> AlertHistoryEntry {
            AlertHistoryEntry(
                time: time, kind: "firing", rule: "ServiceDown", labels: Labels([("service", service)]),
                annotations: Labels([("summary", "\(service) is down")]), value: 0, activeAt: time - 60_000)
        }
        let writer = try SampleWriter(path: path)
        writer.record(alerts: [:], history: (0..<5).map { entry(1_790_000_000_000 + Int64($0), "s\($0)") })
        writer.flush()
        let kept = try StoreReader(path: path)
        #expect(try kept.alertHistory(limit: 3).map(\.labels) == (2..<5).map { Labels([("service", "s\($0)")]) })
        writer.record(alerts: [:], history: [entry(1_790_000_000_010, "new")])
        writer.flush()
        #expect(try kept.alertHistory(limit: 3) == StoreReader(path: path).alertHistory(limit: 3))
        writer.close()
        // Emptied and written again: the same numbers, other entries.
        sqliteExecute(path, "DELETE FROM alert_history")
        let again = try SampleWriter(path: path)
        again.record(alerts: [:], history: (0..<5).map { entry(1_790_000_001_000 + Int64($0), "other\($0)") })
        again.close()
        let fresh = try StoreReader(path: path).alertHistory(limit: 3)
        #expect(try kept.alertHistory(limit: 3) == fresh)
        #expect(fresh.map(\.labels["service"]) == ["other2", "other3", "other4"])
    }
}

/// A reader in another process that reads again (a dashboard) keeps the closed hours it decoded,
/// and answers as a fresh reader does while hours close behind it; a reader read once keeps none.
@Suite struct KeptReaderChunksTests {
    @Test func aKeptReaderDecodesClosedHoursOnce() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let hour: Int64 = 3_600_000
        let first: Int64 = 500_000 * hour
        let clock = ManualClock(first)
        let writer = try SampleWriter(path: path, clock: clock.function)
        let all = (0..<20).map { Labels([("__name__", "probe_success"), ("instance", "t\($0)")]) }
        let matchers = [try LabelMatcher("__name__", .equal, "probe_success")]
        func write(hours: Range<Int64>) {
            for time in stride(from: first + hours.lowerBound * hour, to: first + hours.upperBound * hour, by: 15_000) {
                clock.set(time)
                writer.append(
                    all.map { LabeledSample(labels: $0, sample: Sample(timestamp: time, value: Double(time % 7))) })
            }
            writer.flush()
        }
        write(hours: 0..<3)
        let kept = try StoreReader(path: path)
        let once = try kept.select(matchers, from: first, through: first + 3 * hour)
        #expect(kept.decodedSamplesHeld == 0)
        for round in 3..<6 {
            let window = (first + (Int64(round) - 2) * hour - 300_000)...(first + Int64(round) * hour)
            let again = try kept.select(matchers, from: window.lowerBound, through: window.upperBound)
            let fresh = try StoreReader(path: path).select(
                matchers, from: window.lowerBound, through: window.upperBound)
            #expect(again == fresh, "round \(round): \(again.map(\.samples.count)) \(fresh.map(\.samples.count))")
            #expect(again.allSatisfy { $0.samples.count > 400 }, "round \(round)")
            #expect(kept.decodedSamplesHeld > 0, "round \(round)")
            write(hours: Int64(round)..<Int64(round) + 1)
        }
        #expect(once.map(\.samples.count) == Array(repeating: 720, count: 20))
        writer.close()
    }
}

/// A selection of every fifth series (looked up row by row) and one of every series (each hour one
/// range scan) read the same samples, hour by hour across midnight, as were written.
@Suite struct SparseSelectionTests {
    @Test func everyFifthSeriesReadsWhatWasWrittenAcrossADay() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let hour: Int64 = 3_600_000
        // Three hours before midnight to three after.
        let first: Int64 = 20_000 * 86_400_000 - 3 * hour
        let clock = ManualClock(first)
        let writer = try SampleWriter(path: path, clock: clock.function)
        let all = (0..<40).map { Labels([("__name__", "up"), ("group", "g\($0 % 5)"), ("n", "\($0)")]) }
        func value(_ series: Int, _ time: Int64) -> Double { Double(series * 1_000 + Int(time / 60_000 % 997)) }
        for time in stride(from: first, to: first + 6 * hour, by: 60_000) {
            clock.set(time)
            writer.append(
                all.indices.map {
                    LabeledSample(labels: all[$0], sample: Sample(timestamp: time, value: value($0, time)))
                })
        }
        writer.close()
        let reader = try StoreReader(path: path)
        let window = (first + hour + 30 * 60_000)...(first + 5 * hour - 60_000)
        let expected = Array(stride(from: window.lowerBound, through: window.upperBound, by: 60_000))
        for group in ["g0", "g3"] {
            let some = try reader.select(
                [try LabelMatcher("__name__", .equal, "up"), try LabelMatcher("group", .equal, group)],
                from: window.lowerBound, through: window.upperBound)
            #expect(some.count == 8)
            for series in some {
                let n = Int(series.labels["n"] ?? "") ?? -1
                let written = expected.map { Sample(timestamp: $0, value: value(n, $0)) }
                #expect(series.samples == written, "series \(n): \(series.samples.count) of \(written.count) samples")
            }
            let every = try reader.select(
                [try LabelMatcher("__name__", .equal, "up")], from: window.lowerBound, through: window.upperBound)
            #expect(every.count == 40)
            let same = every.filter { $0.labels["group"] == group } == some
            #expect(same, "\(group): every series read apart from the ones read alone")
        }
    }
}

/// The HTTP API's readers read the file through a memory map. While retention drops days and the
/// file shrinks under the map, such a reader answers as a reader without one does, before and after.
@Suite struct MappedReaderTests {
    @Test func aMappedReaderAnswersAsAnotherWhileTheFileShrinks() throws {
        let day: Int64 = 86_400_000
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let first: Int64 = 20_300 * day
        let all = (0..<100).map { Labels([("__name__", "up"), ("target", "t\($0)")]) }
        try writeEveryFiveMinutes(all, days: 4, from: first, to: path)
        let matchers = [try LabelMatcher("__name__", .equal, "up")]
        // A reader of another process, mapped, reads all four days before the file shrinks.
        let mapped = try StoreReader(path: path, heads: nil, cache: nil, mapping: StoreReader.queryMapping)
        #expect(try mapped.database.scalarInt("PRAGMA mmap_size") == Int64(StoreReader.queryMapping))
        let before = try mapped.select(matchers, from: .min, through: .max)
        #expect(before == (try StoreReader(path: path).select(matchers, from: .min, through: .max)))
        #expect(before.count == 100 && before.allSatisfy { $0.samples.count == 4 * 288 })
        let size = { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
        let full = size()
        let now = first + 4 * day
        var writer = try SampleWriter(
            path: path, retention: SampleWriter.Retention(maxAge: .seconds(86_400)), clock: { now })
        writer.applyRetentionNow()
        // The file is cut back when the writer's last checkpoint moves the WAL into it.
        writer.close()
        #expect(size() < full / 2, "three of four days dropped: \(full) → \(size()) bytes")
        let after = try mapped.select(matchers, from: .min, through: .max)
        #expect(after == (try StoreReader(path: path).select(matchers, from: .min, through: .max)))
        #expect(after.count == 100 && after.allSatisfy { $0.samples.first?.timestamp == first + 3 * day })
        // One of iocd's own, mapped, beside one without a map.
        writer = try SampleWriter(path: path, clock: { now })
        let inProcess = try writer.makeReader(mapping: StoreReader.queryMapping)
        #expect(try inProcess.select(matchers, from: .min, through: .max) == after)
        writer.close()
    }
}

/// Rows of the partitions catalog that no writer makes (a start at the ends of Int64, one that is no
/// day's, a name that is not its day's table) are not read: readers answer from the real days and
/// retention runs, where the hours' arithmetic over such a start used to trap.
@Suite struct DamagedCatalogTests {
    @Test func catalogRowsNoWriterMakesAreLeftAlone() throws {
        let day: Int64 = 86_400_000
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let first: Int64 = 20_400 * day
        try writeEveryFiveMinutes([Labels([("__name__", "up"), ("target", "a")])], days: 2, from: first, to: path)
        let matchers = [try LabelMatcher("__name__", .equal, "up")]
        let before = try StoreReader(path: path).select(matchers, from: .min, through: .max)
        #expect(before.first?.samples.count == 2 * 288)
        let real = "chunks_\(first / day)"
        for row in [
            "('chunks_bogus', \(Int64.min), \(Int64.max))", "('chunks_far', \(Int64.max - 10), \(Int64.max))",
            "('\(real) UNION SELECT 1, 2', \(first), \(first + day - 1))",
            "('chunks_half', \(first + 1), \(first + day))",
        ] {
            #expect(sqliteExecute(path, "INSERT INTO partitions (name, start_ts, end_ts) VALUES \(row)"), "\(row)")
        }
        #expect(try StoreReader(path: path).select(matchers, from: .min, through: .max) == before)
        #expect(
            try StoreReader(path: path).select(matchers, from: first, through: first + day).first?.samples.count == 289)
        let writer = try SampleWriter(
            path: path, retention: SampleWriter.Retention(maxAge: .seconds(86_400)), clock: { first + 2 * day })
        writer.applyRetentionNow()
        writer.close()
        #expect(try StoreReader(path: path).select(matchers, from: .min, through: .max).first?.samples.count == 288)
    }
}

/// `series` every 5 minutes for `days` days from `first` (the value the step's number plus the
/// series' position), hours closing as the clock passes them; the writer is closed after.
private func writeEveryFiveMinutes(_ series: [Labels], days: Int, from first: Int64, to path: String) throws {
    let clock = ManualClock(first)
    let writer = try SampleWriter(path: path, clock: clock.function)
    for step in 0..<(days * 288) {
        let time = first + Int64(step) * 300_000
        clock.set(time)
        writer.append(
            series.indices.map {
                LabeledSample(labels: series[$0], sample: Sample(timestamp: time, value: Double(step + $0)))
            })
        if step % 12 == 0 { writer.flush() }
    }
    writer.close()
}

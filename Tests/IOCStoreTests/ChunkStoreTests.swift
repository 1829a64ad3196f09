import CSQLite
import Foundation
import IOCCore
@testable import IOCStore
import TestSupport
import Testing

/// The store's chunks and partitions through real SQLite files.
@Suite struct ChunkStoreTests {
    let day: Int64 = 86_400_000

    func tableNames(_ path: String) -> [String] {
        var handle: OpaquePointer?
        guard sqlite3_open(path, &handle) == SQLITE_OK else { return [] }
        defer { sqlite3_close(handle) }
        var statement: OpaquePointer?
        sqlite3_prepare_v2(
            handle, "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'chunks_%' ORDER BY name", -1,
            &statement, nil)
        defer { sqlite3_finalize(statement) }
        var names: [String] = []
        while sqlite3_step(statement) == SQLITE_ROW { names.append(String(cString: sqlite3_column_text(statement, 0))) }
        return names
    }

    @Test func samplesRoundTripAcrossChunksPartitionsAndReopening() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        var generator = SystemRandomNumberGenerator()
        // Three days at 10 minutes, in three sessions of the writer: hours close into chunks in day
        // partitions, and open chunks are replayed from the log on each reopening.
        let labels = (0..<4).map { Labels(["__name__": "probe_duration_seconds", "target": "t\($0)"]) }
        var expected: [Labels: [Sample]] = [:]
        let start: Int64 = 20_000 * day + 3_600_000
        let clock = ManualClock(start)
        for session in 0..<3 {
            let writer = try SampleWriter(path: path, clock: clock.function)
            for step in (session * 144)..<((session + 1) * 144) {
                clock.set(start + Int64(step) * 600_000)
                let batch = labels.map { labels in
                    // Mostly probe-like decimals; every seventh step any 64 bits at all (NaNs with
                    // payloads, infinities, subnormals, -0.0 among them), which chunks and the log
                    // must give back bit for bit.
                    let value: Double =
                        step % 97 == 0
                        ? .nan
                        : step % 89 == 0
                            ? Sample.staleNaN
                            : step % 7 == 0
                                ? Double(bitPattern: UInt64.random(in: .min ... .max, using: &generator))
                                : Double(Int.random(in: 1...900_000, using: &generator)) / 1e6
                    return LabeledSample(
                        labels: labels, sample: Sample(timestamp: start + Int64(step) * 600_000, value: value))
                }
                batch.forEach { expected[$0.labels, default: []].append($0.sample) }
                writer.append(batch)
                if step % 50 == 0 { writer.flush() }
                if step % 37 == 0 {
                    // A reader in the writer's process (open chunks from memory) and one of the file
                    // alone (open chunks from the log) see the same, whatever hours have closed.
                    writer.flush()
                    let all = [try LabelMatcher("target", .matchesRegex, "t.")]
                    let live = try writer.makeReader().select(all, from: .min, through: .max)
                    let file = try StoreReader(path: path).select(all, from: .min, through: .max)
                    #expect(live == file, "step \(step)")
                    #expect(live.map(\.samples) == live.map { expected[$0.labels] ?? [] }, "step \(step)")
                    // A window that begins and ends inside hours, from the decoded chunks the query
                    // above left in the process's cache, and from the file.
                    let from = start + Int64(step / 3) * 600_000 + 1
                    let through = start + Int64(step) * 600_000 - 1
                    let cached = try writer.makeReader().select(all, from: from, through: through)
                    let read = try StoreReader(path: path).select(all, from: from, through: through)
                    #expect(cached == read, "step \(step)")
                    // The last minutes, which memory holds whole for every series (read without
                    // the file), stale markers and all.
                    let recent = start + Int64(step) * 600_000 - 1_200_000
                    let latest = try writer.makeReader().select(all, from: recent, through: .max)
                    #expect(latest == (try StoreReader(path: path).select(all, from: recent, through: .max)))
                    #expect(latest.allSatisfy { !$0.samples.isEmpty }, "step \(step)")
                    #expect(latest.allSatisfy { $0.holdsStaleMarkers == $0.samples.holdsStaleMarker }, "step \(step)")
                }
            }
            writer.close()
            #expect(writer.statistics.written == 4 * 144)
            #expect(writer.statistics.chunks >= 4)
        }
        #expect(tableNames(path).count >= 3)
        let reader = try StoreReader(path: path)
        for series in try reader.select([try LabelMatcher("target", .matchesRegex, "t.")], from: .min, through: .max) {
            let same = series.samples == expected[series.labels]
            #expect(same, "\(series.labels): \(series.samples.count) of \(expected[series.labels]?.count ?? 0)")
        }
        // A range that starts and ends inside chunks gets exactly the samples in it.
        let from = start + 100 * 600_000 + 1
        let through = start + 300 * 600_000
        let middle = try reader.select([try LabelMatcher("target", .equal, "t0")], from: from, through: through)
        let wanted = expected[labels[0]]?.filter { $0.timestamp >= from && $0.timestamp <= through }
        #expect(middle.first?.samples == wanted)
        #expect(sqliteIntegrityCheck(path) == "ok")
    }

    @Test func lateSamplesAreTakenWithinABatchAndRefusedAfterIt() throws {
        let directory = try TemporaryDirectory()
        let writer = try SampleWriter(path: directory.file("ioc.db"), flushInterval: .seconds(60))
        let labels = Labels(["__name__": "up", "job": "a"])
        func samples(_ points: [(Int64, Double)]) -> [LabeledSample] {
            points.map { LabeledSample(labels: labels, sample: Sample(timestamp: $0.0, value: $0.1)) }
        }
        // One batch: the late 1.5 s sample takes its place; the repeated 2 s sample keeps the first value.
        writer.append(samples([(1_000, 1), (2_000, 2), (2_000, 99), (1_500, 3), (3_000, 4)]))
        writer.flush()
        // A later batch: anything at or before 3 s is refused and counted.
        writer.append(samples([(2_500, 5), (3_000, 6), (4_000, 7)]))
        writer.close()
        #expect(writer.statistics.written == 5)
        #expect(writer.statistics.duplicates == 2)
        #expect(writer.statistics.outOfOrder == 1)
        let stored = try StoreReader(path: directory.file("ioc.db")).select(
            [try LabelMatcher("job", .equal, "a")], from: 0, through: 10_000)
        #expect(
            stored.first?.samples
                == [(1_000, 1), (1_500, 3), (2_000, 2), (3_000, 4), (4_000, 7)].map {
                    Sample(timestamp: $0.0, value: $0.1)
                })
    }

    /// An hour closes when its series moves on (after a grace period) or after a long silence: a
    /// feed that lags hours behind keeps its hour open instead of closing a chunk per sample, and a
    /// series that went quiet does not hold the others back.
    @Test func quietAndLaggingSeriesCloseTheirHoursOnceEach() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let start: Int64 = 20_300 * day
        let clock = ManualClock(start)
        let writer = try SampleWriter(path: path, clock: clock.function)
        func labels(_ job: String) -> Labels { Labels(["__name__": "up", "job": job]) }
        var expected: [Labels: [Sample]] = [:]
        func add(_ job: String, _ timestamp: Int64, _ value: Double) -> LabeledSample {
            let sample = LabeledSample(labels: labels(job), sample: Sample(timestamp: timestamp, value: value))
            expected[sample.labels, default: []].append(sample.sample)
            return sample
        }
        writer.append([add("quiet", start, 1)])
        // Five hours: "active" every minute, "lagging" a third as fast (it reaches 1 h 40 min).
        for minute in 0..<300 {
            clock.set(start + Int64(minute) * 60_000)
            writer.append([
                add("active", start + Int64(minute) * 60_000, Double(minute)),
                add("lagging", start + Int64(minute) * 20_000, Double(minute)),
            ])
            writer.flush()
        }
        // Active's hours 0-3 and lagging's hour 0; quiet's hour waits for six idle hours.
        #expect(writer.statistics.chunks == 5)
        clock.set(start + 8 * 3_600_000)
        writer.applyRetentionNow()
        // Quiet's hour and lagging's hour 1 are now idle long enough; active's hour 4 is not.
        #expect(writer.statistics.chunks == 7)
        writer.close()
        let stored = try StoreReader(path: path).select(
            [try LabelMatcher("__name__", .equal, "up")], from: .min, through: .max)
        #expect(stored.count == 3)
        for series in stored { #expect(series.samples == expected[series.labels], "\(series.labels)") }
        #expect(sqliteIntegrityCheck(path) == "ok")
    }

    /// A close of more chunks than are encoded together on the cores: every chunk is written whole,
    /// and readers in the process (the closed chunks kept in memory) and of the file alone find the
    /// same samples.
    @Test func aLargeCloseInBatchesKeepsEveryChunk() async throws {
        try await onTestWorkThread {
            let directory = try TemporaryDirectory()
            let path = directory.file("ioc.db")
            let start: Int64 = 20_310 * day
            let clock = ManualClock(start)
            let writer = try SampleWriter(path: path, clock: clock.function)
            let series = WriterConnection.closedTogether * 2 + 7
            let labels = (0..<series).map { Labels(["__name__": "probe_success", "target": "t\($0)"]) }
            for minute in 0..<3 {
                clock.set(start + Int64(minute) * 1_200_000)
                writer.append(
                    labels.enumerated().map { index, labels in
                        LabeledSample(
                            labels: labels,
                            sample: Sample(
                                timestamp: start + Int64(minute) * 1_200_000, value: Double(index % 5 + minute)))
                    })
                writer.flush()
            }
            #expect(writer.statistics.chunks == 0)
            // Every series moves on to the next hour, and a batch past its grace closes the hour.
            for next in [start + 3_600_000, start + 3_600_000 + WriterConnection.grace] {
                clock.set(next)
                writer.append(labels.map { LabeledSample(labels: $0, sample: Sample(timestamp: next, value: 1)) })
                writer.flush()
            }
            #expect(writer.statistics.chunks == series, "\(writer.statistics)")
            let all = [try LabelMatcher("__name__", .equal, "probe_success")]
            let live = try writer.makeReader().select(all, from: start, through: start + 3_599_999)
            writer.close()
            let file = try StoreReader(path: path).select(all, from: start, through: start + 3_599_999)
            #expect(live.count == series)
            #expect(live == file)
            let wrong = file.filter { stored in
                guard let index = Int(stored.labels["target"]?.dropFirst() ?? "") else { return true }
                return stored.samples.map(\.value) != (0..<3).map { Double(index % 5 + $0) }
            }
            #expect(wrong.isEmpty, "\(wrong.count) series read back wrong, first \(wrong.first?.labels ?? Labels())")
            #expect(sqliteIntegrityCheck(path) == "ok")
        }
    }

    /// A stored chunk whose sample count was damaged to claim 2^36 samples is reported as a damaged
    /// chunk by a read, without reserving the memory the count names (which would end the process).
    @Test func aDamagedChunkCountIsAnErrorNotAnAllocation() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let start: Int64 = 20_300 * day
        let clock = ManualClock(start)
        let writer = try SampleWriter(path: path, clock: clock.function)
        let labels = Labels(["__name__": "up", "job": "a"])
        for minute in 0..<180 {
            clock.set(start + Int64(minute) * 60_000)
            writer.append([LabeledSample(labels: labels, sample: Sample(timestamp: clock.function(), value: 1))])
            writer.flush()
        }
        writer.close()
        let table = try #require(tableNames(path).first)
        // The encoding byte kept, then a varint of 2^36 as the count (a terabyte of samples).
        var handle: OpaquePointer?
        #expect(sqlite3_open(path, &handle) == SQLITE_OK)
        let sql = """
            UPDATE \(table) SET data = substr(data, 1, 1) || X'8080808080020000000000000000'
            WHERE key = (SELECT min(key) FROM \(table))
            """
        #expect(sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK)
        #expect(sqlite3_changes(handle) == 1)
        sqlite3_close(handle)
        #expect(throws: StoreError.self) {
            try StoreReader(path: path).select([try LabelMatcher("job", .equal, "a")], from: .min, through: .max)
        }
    }

    /// A reader in another process that stays open (the dashboard) decodes only the log records
    /// added since its last read, and reads everything again once an hour has closed and the log
    /// was emptied: through three hours it gives exactly what a reader opened afresh gives.
    @Test func aLongLivedReaderSeesWhatAFreshOneSees() async throws {
        try await BackgroundThread.run("long-lived-reader") {
            let day: Int64 = 86_400_000
            let directory = try TemporaryDirectory()
            let path = directory.file("ioc.db")
            let first: Int64 = 20_300 * day + 1_800_000
            let clock = ManualClock(first)
            let labels = (0..<20).map { Labels(["__name__": "probe_success", "target": "t\($0)"]) }
            let writer = try SampleWriter(path: path, clock: clock.function)
            var kept: StoreReader?
            let matcher = [try LabelMatcher("__name__", .equal, "probe_success")]
            for step in 0..<(3 * 120) {
                let time = first + Int64(step) * 30_000
                clock.set(time)
                writer.append(
                    labels.enumerated().map { index, labels in
                        LabeledSample(
                            labels: labels, sample: Sample(timestamp: time, value: Double((step + index) % 3)))
                    })
                guard step % 7 == 0 else { continue }
                writer.flush()
                if kept == nil { kept = try StoreReader(path: path) }
                let fresh = try StoreReader(path: path).select(matcher, from: first, through: time)
                let reused = try kept?.select(matcher, from: first, through: time) ?? []
                let same = reused.map(\.samples) == fresh.map(\.samples)
                #expect(
                    same, "at step \(step): \(reused.map(\.samples.count)) samples, fresh \(fresh.map(\.samples.count))"
                )
                #expect(fresh.allSatisfy { $0.samples.count == step + 1 }, "at step \(step)")
                // A window inside the open hour, from the same reader.
                let recent = try kept?.select(matcher, from: time - 300_000, through: time) ?? []
                #expect(recent.allSatisfy { $0.samples.count == min(step + 1, 11) }, "at step \(step)")
            }
            writer.close()
        }
    }

    /// The free pages of the file (the emptied log, dropped days) go back to the file system: at the
    /// end of every hour and after retention, at most 10 % of the file is free; the WAL is empty once
    /// the writer has closed.
    @Test func theFileKeepsNoDeadSpace() async throws {
        // Seconds of CPU and blocking writes: on a thread of its own, not the suite's shared pool.
        try await HeavyTests.one { try await BackgroundThread.run("dead-space") { try Self.threeDays() } }
    }

    static func threeDays() throws {
        let day: Int64 = 86_400_000
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        func pragma(_ name: String) -> Int64 { sqlitePragma(path, name) }
        let first: Int64 = 20_200 * day
        let clock = ManualClock(first)
        let labels = (0..<100).map { Labels(["__name__": "probe_duration_seconds", "target": "t\($0)"]) }
        var writer = try SampleWriter(path: path, clock: clock.function)
        var free: [Double] = []
        // Three days at 30 s; the free share measured through the writer at the turn of each hour.
        for step in 0..<(3 * 2880) where step % 2 == 0 || step % 120 == 10 {
            let time = first + Int64(step) * 30_000
            clock.set(time)
            writer.append(
                labels.enumerated().map { index, labels in
                    LabeledSample(
                        labels: labels, sample: Sample(timestamp: time, value: Double((step * 7 + index) % 97) / 1000))
                })
            if step % 10 == 0 { writer.flush() }
            if step % 120 == 10 {
                writer.flush()
                free.append(Double(pragma("freelist_count")) / Double(max(1, pragma("page_count"))))
            }
        }
        writer.close()
        #expect(pragma("auto_vacuum") == 2)
        #expect(free.count == 72 && free.allSatisfy { $0 <= 0.10 }, "\(free.filter { $0 > 0.10 })")
        // (Absent once the helper's own connection above closed last, which SQLite does.)
        let wal = (try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? Int ?? 0
        #expect(wal == 0, "the WAL is cut back when the writer closes")

        let before = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        let now = first + 3 * day
        writer = try SampleWriter(
            path: path, retention: SampleWriter.Retention(maxAge: .seconds(86_400)), clock: { now })
        writer.applyRetentionNow()
        writer.close()
        let after = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        #expect(after < before / 2, "two of three days dropped: \(before) → \(after) bytes")
        #expect(Double(pragma("freelist_count")) <= 0.10 * Double(pragma("page_count")))
        #expect(sqliteIntegrityCheck(path) == "ok")
    }

    @Test func retentionDropsWholePartitionsByAgeAndBySize() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let first: Int64 = 20_100 * day
        let labels = Labels(["__name__": "m", "job": "a"])
        // Ten days of samples every minute; hours close as the clock passes them.
        let clock = ManualClock(first)
        var writer = try SampleWriter(path: path, clock: clock.function)
        for minute in 0..<(10 * 1440) {
            clock.set(first + Int64(minute) * 60_000)
            writer.append([
                LabeledSample(
                    labels: labels, sample: Sample(timestamp: first + Int64(minute) * 60_000, value: Double(minute)))
            ])
            if minute % 1000 == 0 { writer.flush() }
        }
        writer.close()
        #expect(tableNames(path).count == 10)

        let now = first + 10 * day
        writer = try SampleWriter(
            path: path, retention: SampleWriter.Retention(maxAge: .seconds(3 * 86_400)), clock: { now })
        // Alert history and the notification log age out with the samples.
        let alert = Labels([("alertname", "Down")])
        writer.record(
            alerts: [:],
            history: [first + day, now - day].map { time in
                AlertHistoryEntry(
                    time: time, kind: "firing", rule: "g/Down/0", labels: alert, annotations: Labels(), value: 1,
                    activeAt: time)
            })
        writer.record(notificationLog: [
            NotificationLogRecord(key: "old", firing: "1", sentAt: first + day),
            NotificationLogRecord(key: "new", firing: "2", sentAt: now - day),
        ])
        writer.flush()
        writer.applyRetentionNow()
        let live = try writer.makeReader()
        #expect(try live.alertHistory().map(\.time) == [now - day])
        #expect(try live.notificationLog().map(\.key) == ["new"])
        writer.close()
        #expect(writer.statistics.partitionsDropped == 7)
        #expect(tableNames(path).count == 3)
        var reader = try StoreReader(path: path)
        let kept =
            try reader.select([try LabelMatcher("job", .equal, "a")], from: .min, through: .max).first?.samples ?? []
        #expect(kept.first?.timestamp == first + 7 * day)
        #expect(kept.last?.timestamp == first + 10 * day - 60_000)

        writer = try SampleWriter(path: path, retention: SampleWriter.Retention(maxBytes: 1), clock: { now })
        writer.applyRetentionNow()
        writer.close()
        // Size retention keeps at least the newest partition.
        #expect(tableNames(path).count == 1)
        reader = try StoreReader(path: path)
        #expect(
            try reader.select([try LabelMatcher("job", .equal, "a")], from: .min, through: .max).first?.samples.first?
                .timestamp == first + 9 * day)
        #expect(sqliteIntegrityCheck(path) == "ok")
    }
}

@Suite struct RollupTests {
    @Test func rollupsEqualTheBucketsOfTheRawSamples() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let start: Int64 = 20_200 * 86_400_000 + 7 * 60_000
        let labels = Labels(["__name__": "probe_duration_seconds", "job": "a"])
        var generator = SystemRandomNumberGenerator()
        // Two and a half days at 47 s: hours close into chunks with their summaries, across days; the
        // last hour stays open.
        let clock = ManualClock(start)
        let writer = try SampleWriter(path: path, clock: clock.function)
        for step in 0..<4_600 {
            clock.set(start + Int64(step) * 47_000)
            let value: Double =
                step % 331 == 0
                ? .nan : (step % 211 == 0 ? Sample.staleNaN : Double(Int.random(in: 1...500, using: &generator)) / 1000)
            writer.append([
                LabeledSample(labels: labels, sample: Sample(timestamp: start + Int64(step) * 47_000, value: value))
            ])
            if step % 500 == 0 { writer.flush() }
        }
        writer.flush()
        // The writer's own reader (open hours and the latest samples from memory) answers alike,
        // over everything and over the last few buckets, which its ring of recent samples holds.
        let live = try writer.makeReader()
        let liveID = try #require(try live.series(matching: [try LabelMatcher("job", .equal, "a")]).first?.id)
        let last = start + 4_599 * 47_000
        var liveRollups: [[Rollup]] = []
        for resolution in Rollup.resolutions {
            liveRollups.append(try live.rollups(ofSeries: liveID, resolution: resolution, from: .min, through: .max))
            liveRollups.append(
                try live.rollups(ofSeries: liveID, resolution: resolution, from: last - 600_000, through: last))
        }
        writer.close()

        let reader = try StoreReader(path: path)
        var fileRollups: [[Rollup]] = []
        for resolution in Rollup.resolutions {
            fileRollups.append(try reader.rollups(ofSeries: liveID, resolution: resolution, from: .min, through: .max))
            fileRollups.append(
                try reader.rollups(ofSeries: liveID, resolution: resolution, from: last - 600_000, through: last))
        }
        #expect(liveRollups == fileRollups)
        #expect(liveRollups[1].count >= 2 && liveRollups[3].count == 1)
        let id = try #require(try reader.series(matching: [try LabelMatcher("job", .equal, "a")]).first?.id)
        let raw = try reader.samples(ofSeries: id, from: .min, through: .max)
        #expect(raw.count == 4_600)
        for resolution in Rollup.resolutions {
            let expected = Rollup.summarise(raw, resolution: resolution)
            let stored = try reader.rollups(ofSeries: id, resolution: resolution, from: .min, through: .max)
            #expect(stored.count == expected.count, "resolution \(resolution)")
            // Sums of partial sums may differ from one running sum in the last bits; all else is exact.
            func alike(_ a: Rollup, _ b: Rollup) -> Bool {
                let sums = a.sum.isNaN ? b.sum.isNaN : abs(a.sum - b.sum) <= 1e-9 * max(1, abs(b.sum))
                var c = a
                c.sum = b.sum
                return sums && c == b
            }
            let same = stored.count == expected.count && zip(stored, expected).allSatisfy(alike)
            #expect(
                same,
                "resolution \(resolution): the first difference at \(String(describing: zip(stored, expected).first { !alike($0, $1) }))"
            )
            // A sub-range gives the buckets that start in it.
            let from = start + 86_400_000
            let through = start + 2 * 86_400_000
            let part = try reader.rollups(ofSeries: id, resolution: resolution, from: from, through: through)
            let wanted = expected.filter { $0.start >= from && $0.start <= through }
            #expect(part.count == wanted.count && zip(part, wanted).allSatisfy(alike))
        }
        #expect(throws: StoreError.self) { try reader.rollups(ofSeries: id, resolution: 60_000, from: 0, through: 1) }
    }

    @Test func aBucketSummarisesWithPrometheusSemantics() {
        let samples = [
            Sample(timestamp: 0, value: .nan), Sample(timestamp: 1, value: 3),
            Sample(timestamp: 2, value: Sample.staleNaN),
            Sample(timestamp: 3, value: -1), Sample(timestamp: 300_000, value: 7),
        ]
        let buckets = Rollup.summarise(samples, resolution: 300_000)
        #expect(buckets.count == 2)
        #expect(buckets[0].min == -1 && buckets[0].max == 3)
        #expect(buckets[0].sum.isNaN)
        #expect(buckets[0].count == 3)
        #expect(buckets[0].last == Sample(timestamp: 3, value: -1))
        #expect(
            buckets[1]
                == Rollup(start: 300_000, min: 7, max: 7, sum: 7, count: 1, last: Sample(timestamp: 300_000, value: 7)))
    }
}

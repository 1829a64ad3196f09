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

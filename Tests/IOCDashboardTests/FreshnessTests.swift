import IOCCore
@testable import IOCDashboard
import IOCQuery
import IOCStore
import TestSupport
import Testing

/// Stale data does not look healthy: with probes every 5 s, the header says iocd stopped writing
/// within 15 s, and a target's cells go stale after two of its intervals.
@Suite struct FreshnessTests {
    let end: Int64 = 1_795_046_400_000

    /// Two minutes of probes: `fast` every 5 s, `slow` every 30 s, the last samples at `end`.
    func store(_ directory: TemporaryDirectory) async throws -> String {
        let path = directory.file("ioc.db")
        let clock = ManualClock(end - 120_000)
        let writer = try SampleWriter(path: path, clock: clock.function)
        for time in stride(from: end - 120_000, through: end, by: 5_000) {
            clock.set(time)
            var batch = [
                LabeledSample(
                    labels: Labels([("__name__", "probe_success"), ("instance", "fast"), ("province", "Huế")]),
                    sample: Sample(timestamp: time, value: 1))
            ]
            if time % 30_000 == 0 {
                batch.append(
                    LabeledSample(
                        labels: Labels([("__name__", "probe_success"), ("instance", "slow"), ("province", "Huế")]),
                        sample: Sample(timestamp: time, value: 1)))
            }
            writer.append(batch)
        }
        await writer.close()
        return path
    }

    @Test func theIntervalsComeFromTheSamplesAndSayWhenDataIsStale() async throws {
        let directory = try TemporaryDirectory()
        let backend = LocalBackend(reader: try StoreReader(path: try await store(directory)))
        let freshness = Freshness.read(from: backend, now: end + 1_000)
        #expect(freshness.newest == end)
        #expect(freshness.intervals["fast"].map { (4_500...5_500).contains($0) } == true, "\(freshness)")
        #expect(freshness.intervals["slow"].map { (25_000...35_000).contains($0) } == true, "\(freshness)")
        // The header's banner: two intervals of the typical target, at least 10 s.
        #expect(freshness.stoppedAfter <= 15_000, "\(freshness)")
        // A cell: two of its own target's intervals.
        #expect(freshness.staleAfter(Labels([("instance", "fast")])) <= 11_000)
        #expect(freshness.staleAfter(Labels([("instance", "slow")])) >= 50_000)
        #expect(Freshness(newest: nil).stoppedAfter == 120_000)
    }

    @Test func theBannerComesWithinFifteenSecondsOfTheLastSample() async throws {
        let directory = try TemporaryDirectory()
        let path = try await store(directory)
        let file = try DashboardFile(
            from: try ConfigNode.parse(
                yaml:
                    "name: one\nrows:\n  - panels:\n      - {widget: status_grid, query: probe_success, rows_label: province, columns_label: instance}\n",
                file: "one.yaml"), file: "one.yaml")
        let screen = DashboardScreen(dashboard: file, source: path, language: .en)
        let backend = LocalBackend(reader: try StoreReader(path: path))
        func frame(at now: Int64) -> String {
            var canvas = Canvas(width: 80, height: 8, language: .en)
            screen.draw(
                screen.load(from: backend, now: now), freshness: Freshness.read(from: backend, now: now), now: now,
                into: &canvas)
            return canvas.plainText
        }
        #expect(!frame(at: end + 4_000).contains("iocd has not written"))
        let later = frame(at: end + 15_000)
        #expect(later.contains("iocd has not written"), "\(later)")
        // The fast target's cell is stale (?), the slow one, probed every 30 s, is not yet.
        let grid = later.split(separator: "\n").first { $0.contains("Huế") } ?? ""
        #expect(grid.contains("?") && grid.contains("●"), "\(later)")
    }
}

import Foundation
import IOCCore
import IOCQuery
import IOCStore
import TestSupport
import Testing

/// `ioc silence add` as an operator types it: Unicode values without quotes, a maintenance
/// announced in advance; and times given as `now`, `-1h` or `yesterday` wherever a time is taken.
@Suite struct SilenceCommandTests {
    @Test func aSilenceOfUnquotedUnicodeValuesCanStartLater() async throws {
        let directory = try TemporaryDirectory()
        let store = directory.file("ioc.db")
        await (try SampleWriter(path: store)).close()
        let ioc = try BuiltProduct.path("ioc")
        let before = WallClock.nowMilliseconds()
        let added = try await TestProcess.run(
            ioc,
            [
                "silence", "add", "province=Huế", "service=~dvc|lgsp", "--start=+1h", "--for", "2h", "--comment",
                "announced maintenance", "--author", "an", "--db", store,
            ])
        #expect(added.status == 0, "\(added.stderr)")
        let silences = try StoreReader(path: store).silences(parsing: Selector.matchers(parsing:))
        let silence = try #require(silences.first)
        #expect(
            silence.matchers == [
                try LabelMatcher("province", .equal, "Huế"), try LabelMatcher("service", .matchesRegex, "dvc|lgsp"),
            ])
        #expect(silence.startsAt >= before + 3_600_000 && silence.startsAt < before + 3_660_000)
        #expect(silence.endsAt - silence.startsAt == 7_200_000)
        #expect(!silence.isActive(at: WallClock.nowMilliseconds()))
        // A quoted value is taken as it is.
        let quoted = try await TestProcess.run(
            ioc, ["silence", "add", #"province="Hà Nội""#, "--comment", "x", "--db", store])
        #expect(quoted.status == 0, "\(quoted.stderr)")
        // Times are Viet Nam's unless --utc, the same in every command.
        let listed = try await TestProcess.run(ioc, ["silence", "list", "--db", store])
        #expect(listed.stdout.contains(" +07 "), "\(listed.stdout)")
        let inUTC = try await TestProcess.run(ioc, ["silence", "list", "--db", store, "--utc"])
        #expect(inUTC.stdout.contains(" UTC ") && !inUTC.stdout.contains(" +07 "), "\(inUTC.stdout)")
        // iocd.yaml's time_zone is every command's: the silences and the dashboard's clock.
        let config = try directory.write("iocd.yaml", "storage:\n  path: ioc.db\ntime_zone: Asia/Tokyo\n")
        let inTokyo = try await TestProcess.run(ioc, ["silence", "list", "--config", config])
        #expect(inTokyo.stdout.contains(" +09 "), "\(inTokyo.stdout)\(inTokyo.stderr)")
        let dashboards = try await TestProcess.run(
            ioc,
            [
                "dashboard", "--config", config, "--dashboards", Self.repository + "/dashboards/overview.yaml",
                "--snapshot", "120x30",
            ])
        #expect(dashboards.stdout.contains("(UTC+09)"), "\(dashboards.stdout)\(dashboards.stderr)")
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test(arguments: ["now", "-1h", "+30m", "yesterday", "today", "2026-11-29T10:00:00Z", "1795046400"])
    func relativeAndAbsoluteTimesAreAccepted(_ time: String) async throws {
        let directory = try TemporaryDirectory()
        let store = directory.file("ioc.db")
        await (try SampleWriter(path: store)).close()
        let exported = try await TestProcess.run(
            try BuiltProduct.path("ioc"), ["export", "up", "--start=\(time)", "--db", store])
        #expect(exported.status == 0, "\(exported.stderr)")
    }

    @Test func aTimeThatIsNoneIsExplained() async throws {
        let result = try await TestProcess.run(
            try BuiltProduct.path("ioc"), ["export", "up", "--start", "last tuesday", "--db", "/nonexistent.db"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("expected now, -1h, yesterday"), "\(result.stderr)")
    }
}

import Foundation
import IOCCore
import IOCSimulator
import IOCStore
import TestSupport
import Testing

/// A national centre on one machine, with real parts: six provincial iocd share the simulator's 34
/// provinces (each probes its provinces' services, reads their own Decision 766 statistics and
/// computes their scorecard), remote-write to Debian's VictoriaMetrics and keep what their rules
/// derive at home (`write_relabel_configs`); a national iocd computes the ranking over
/// VictoriaMetrics (`rule_source`) and writes it back there.
///
/// It shows: the national ranking equals the one each province's own store gives; a province that
/// goes down is on the national dashboard within 30 s of the probe that saw it; VictoriaMetrics
/// down for five minutes (`IOC_NATIONAL_OUTAGE_SECONDS`), with a centre restarted meanwhile, and
/// afterwards every sample of every series is there once, as many as in each centre's store.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/victoria-metrics")))
struct NationalEndToEndTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let centres = 6

    @Test func thirtyFourProvincesSixCentresOneNationalView() async throws {
        let simulator = try await Simulator(world: .national(seed: 1))
        // Seven daemons starting are the suite's heaviest moment: they start in their turn too.
        let national = try await HeavyTests.one {
            let national = try NationalCentre(simulator: simulator, centres: Self.centres, repository: Self.repository)
            do {
                try await Self.rankingsAgree(national)
                try await Self.anOutageShowsNationally(national, simulator: simulator)
            } catch {
                await national.stopAll()
                throw error
            }
            return national
        }
        // Not timed, and light: the five minutes need not keep the other heavy tests waiting.
        let seconds = ProcessInfo.processInfo.environment["IOC_NATIONAL_OUTAGE_SECONDS"].flatMap(Int.init) ?? 300
        do {
            try await Self.everySampleArrivesAfterAnOutage(national, seconds: seconds)
        } catch {
            await national.stopAll()
            throw error
        }
        await national.stopAll()
        await simulator.stop()
    }

    /// Each province's total from VictoriaMetrics (the national iocd's rules) equals the total its
    /// own centre's store holds, and so the two rankings are the same. The previous month's
    /// statistics are complete and do not move, so the comparison is exact.
    static func rankingsAgree(_ national: NationalCentre) async throws {
        var nationally: [String: Double] = [:]
        var locally: [String: Double] = [:]
        let agreed = try await waitUntil(timeout: .seconds(240)) {
            nationally = try await national.nationalTotals()
            locally = try national.localTotals()
            return nationally.count == 34 && nationally == locally
        }
        let differing = nationally.filter { locally[$0.key] != $0.value }.map { "\($0.key): \($0.value)" }
        let why = "\(nationally.count) provinces nationally, \(locally.count) locally; differing: \(differing)"
        #expect(agreed, "\(why)\n\(national.logs(suffix: 1500))")
        func ranking(_ totals: [String: Double]) -> [String] {
            totals.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
        }
        #expect(ranking(nationally) == ranking(locally))
        #expect(Set(nationally.keys) == Set(ProvinceCatalogue.current.map(\.name)))
    }

    /// A province taken down in the simulator: its row on the national overview (VictoriaMetrics,
    /// `ioc dashboard --source`) shows every service down, within 30 s of the first probe refused.
    static func anOutageShowsNationally(_ national: NationalCentre, simulator: Simulator) async throws {
        let province = try #require(ProvinceCatalogue.province(code: "96"))
        // Every province is in the national view first, so that the row can only be this outage.
        simulator.world.takeDown(province: province.slug)
        var frame = ""
        let shown = try await waitUntil(timeout: .seconds(90)) {
            frame = try await national.overview()
            return frame.split(separator: "\n").contains { line in
                line.contains("│\(province.name) ") && line.components(separatedBy: "✖").count - 1 == 5
            }
        }
        let seenAt = WallClock.nowMilliseconds()
        #expect(shown, "\(frame)\n\(national.logs(suffix: 1500))")
        let refused = try #require(simulator.world.firstRefusal(of: province.slug))
        let latency = Double(seenAt - refused) / 1000
        print("national: \(province.name) down on the national dashboard \(latency) s after the probe was refused")
        #expect(latency <= 30, "\(latency) s")
        simulator.world.restore(province: province.slug)
    }

    /// VictoriaMetrics stopped for `seconds` and started again, one centre restarted half-way: then
    /// every series of every centre holds in VictoriaMetrics the same samples as in the centre's
    /// store, once each, for the window from a minute before the outage to its end; and the national
    /// centre's recorded series likewise.
    static func everySampleArrivesAfterAnOutage(_ national: NationalCentre, seconds: Int) async throws {
        let from = WallClock.nowMilliseconds() - 60_000
        let down = WallClock.nowMilliseconds()
        await national.stopVictoriaMetrics()
        let stopped = WallClock.nowMilliseconds()
        _ = await waitUntil(timeout: .seconds(seconds), every: .seconds(1)) {
            WallClock.nowMilliseconds() - down >= Int64(seconds) * 500
        }
        let status = try await national.restartCentre(0)
        #expect(status == 0, "centre 1 stopped cleanly during the outage")
        _ = await waitUntil(timeout: .seconds(seconds), every: .seconds(1)) {
            WallClock.nowMilliseconds() - down >= Int64(seconds) * 1000
        }
        // Ten seconds before the end: every probe due by then has been written.
        let through = WallClock.nowMilliseconds() - 10_000
        try national.startVictoriaMetrics()
        let restarted = ContinuousClock.now
        var expected: [(selector: String, stamps: [String: [Int64]])] = []
        for centre in 1...national.centreCount {
            let stamps = try national.stored(
                in: "centre-\(centre)", centre: "ioc-centre-\(centre)", recorded: false, from: from, through: through)
            expected.append(("{centre=\"ioc-centre-\(centre)\",__name__!~\".+:.+\"}", stamps))
        }
        let recorded = try national.stored(
            in: "national", centre: "ioc-national", recorded: true, from: from, through: through)
        expected.append(("{__name__=~\".+:.+\"}", recorded))
        #expect(expected.allSatisfy { $0.stamps.count > 100 }, "\(expected.map(\.stamps.count))")

        var missing: [String] = []
        let complete = try await waitUntil(timeout: .seconds(180), every: .seconds(1)) {
            missing = []
            for (selector, stamps) in expected {
                let arrived = try await national.received(selector, from: from, through: through)
                missing += stamps.filter { (arrived[$0.key] ?? []).count < $0.value.count }.map(\.key)
            }
            return missing.isEmpty
        }
        let catchUp = ContinuousClock.now - restarted
        print("national: after \(seconds) s down, every centre caught up in \(catchUp)")
        let firstStored = missing.prefix(3).map { key in expected.compactMap { $0.stamps[key]?.first } }
        let shortfall =
            "\(missing.count) series short, e.g. \(missing.prefix(3)), first stored at \(firstStored) "
            + "(SIGTERM at \(down), VictoriaMetrics' exit at \(stopped))\n" + national.logs(suffix: 2000)
        if !complete { print("national: \(shortfall)") }
        var samples = 0
        for (selector, stamps) in expected {
            let arrived = try await national.received(selector, from: from, through: through)
            let wrong = stamps.filter { arrived[$0.key] != $0.value }.map(\.key)
            let detail = wrong.prefix(2).map { key in
                let local = Set(stamps[key] ?? []), remote = arrived[key] ?? []
                return "\(key): stored, not received \(local.subtracting(remote).sorted()); received, not stored "
                    + "\(Set(remote).subtracting(local).sorted()); received \(remote.count) for \(local.count)"
            }
            #expect(wrong.isEmpty, "\(selector): \(wrong.count) series differ: \(detail)")
            samples += stamps.values.reduce(0) { $0 + $1.count }
        }
        print("national: \(samples) samples in \(expected.map(\.stamps.count).reduce(0, +)) series compared")
    }
}

import Foundation
import IOCCore
import IOCDaemon
import IOCStore
import Testing
import TestSupport
import IOCReport

/// `ioc relabel-provinces`: history under former provinces moved to the current units, visibly.
@Suite struct RelabelTests {
    @Test func formerCodesAndNamesMapToTheCurrentUnit() {
        let haGiang = ProvinceRelabel.relabel(
            Labels([("__name__", "up"), ("province", "Hà Giang"), ("province_code", "02")]))
        #expect(
            haGiang
                == Labels([
                    ("__name__", "up"), ("province", "Tuyên Quang"), ("province_code", "08"),
                    ("former_province", "Hà Giang"), ("former_province_code", "02"),
                ]))
        // A former name under a code that was kept.
        let hue = ProvinceRelabel.relabel(Labels([("province", "Thừa Thiên Huế"), ("province_code", "46")]))
        #expect(hue?["province"] == "Huế" && hue?["former_province"] == "Thừa Thiên Huế")
        // A former name without a code: Bà Rịa - Vũng Tàu is part of Hồ Chí Minh.
        let name = ProvinceRelabel.relabel(Labels([("province", "Bà Rịa - Vũng Tàu")]))
        #expect(name?["province_code"] == "79" && name?["former_province_code"] == "77")
        // Current units, and series relabelled before, are left alone.
        #expect(ProvinceRelabel.relabel(Labels([("province", "Huế"), ("province_code", "46")])) == nil)
        #expect(ProvinceRelabel.relabel(Labels([("province", "Tuyên Quang"), ("province_code", "08")])) == nil)
        #expect(ProvinceRelabel.relabel(haGiang ?? Labels()) == nil)
        #expect(ProvinceRelabel.relabel(Labels([("province", "Nowhere")])) == nil)
    }

    @Test func theCommandMovesHistoryKeepsTheSamplesAndIsIdempotent() async throws {
        let directory = try TemporaryDirectory()
        let db = directory.file("ioc.db")
        let writer = try SampleWriter(path: db)
        let start = WallClock.nowMilliseconds() - 600_000
        var batch: [LabeledSample] = []
        for (province, code) in [("Hà Giang", "02"), ("Tuyên Quang", "08"), ("Thừa Thiên Huế", "46")] {
            for step in 0..<10 {
                batch.append(
                    LabeledSample(
                        labels: Labels([
                            ("__name__", "probe_success"), ("job", "p"), ("province", province),
                            ("province_code", code),
                        ]), sample: Sample(timestamp: start + Int64(step) * 60_000, value: step % 2 == 0 ? 1 : 0)))
            }
        }
        writer.append(batch)
        await writer.close()
        let ioc = try BuiltProduct.path("ioc")

        let dry = try await TestProcess.run(ioc, ["relabel-provinces", "--db", db, "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("2 series would be relabelled"), "\(dry.stdout)")
        let before = try await TestProcess.run(
            ioc, ["query", "--db", db, "count(probe_success{province=\"Tuyên Quang\"})"])
        #expect(before.stdout.contains("=> 1 @"), "\(before.stdout)")

        let real = try await TestProcess.run(ioc, ["relabel-provinces", "--db", db])
        #expect(real.status == 0, "\(real.stderr)")
        #expect(real.stdout.contains("2 series relabelled"), "\(real.stdout)")
        let moved = try await TestProcess.run(
            ioc,
            [
                "query", "--db", db,
                "count_over_time(probe_success{province=\"Tuyên Quang\",former_province=\"Hà Giang\",former_province_code=\"02\"}[15m])",
            ])
        #expect(moved.stdout.contains("=> 10 @"), "\(moved.stdout)")
        let gone = try await TestProcess.run(ioc, ["query", "--db", db, "probe_success{province_code=\"02\"}"])
        #expect(!gone.stdout.contains("=>"), "\(gone.stdout)")
        let hue = try await TestProcess.run(
            ioc, ["query", "--db", db, "probe_success{province=\"Huế\",former_province=\"Thừa Thiên Huế\"}"])
        #expect(hue.stdout.contains("=>"), "\(hue.stdout)")

        let again = try await TestProcess.run(ioc, ["relabel-provinces", "--db", db])
        #expect(again.stdout.contains("0 series relabelled"), "\(again.stdout)")
    }
}

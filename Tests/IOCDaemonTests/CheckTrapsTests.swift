import Foundation
import IOCConfig
import IOCCore
import TestSupport
import Testing

/// What passed `ioc check` and should not have: a probe-file pattern with a typo, and a province
/// that is not one of the 34 units.
@Suite struct CheckTrapsTests {
    @Test func aProbeFilePatternThatMatchesNothingIsAnErrorWithItsLine() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("probes/hue.yaml", "groups:\n  - name: a\n    targets:\n      - url: http://127.0.0.1:1/\n")
        let config = try directory.write("iocd.yaml", "storage: {path: ioc.db}\nprobe_files:\n  - probe/*.yaml\n")
        #expect(throws: ConfigError.self) { try ConfigFiles.load(config) }
        let check = try await TestProcess.run(try BuiltProduct.path("ioc"), ["check", "--config", config])
        #expect(check.status == 78)
        #expect(check.stderr.contains("iocd.yaml:3:5: the probe file pattern"), "\(check.stderr)")
        #expect(check.stderr.contains("probe/*.yaml' matches no file"), "\(check.stderr)")
        // Without the key, the default pattern may match nothing: an empty folder is a valid start.
        let bare = try directory.write("bare.yaml", "storage: {path: ioc.db}\nprobe_files: [probes/*.yaml]\n")
        #expect(try ConfigFiles.load(bare).targets.count == 1)
        try directory.write("empty/iocd.yaml", "storage: {path: ioc.db}\n")
        #expect(try ConfigFiles.load(directory.file("empty/iocd.yaml")).targets.isEmpty)
    }

    @Test func aProvinceOutsideTheCatalogueIsAWarningThatNamesTheUnit() async throws {
        #expect(ProvinceCatalogue.problem(withName: "Huế") == nil)
        #expect(ProvinceCatalogue.problem(withName: "Hue") == "'Hue' is written 'Huế'")
        #expect(ProvinceCatalogue.problem(withName: "Thừa Thiên Huế")?.contains("'Huế'") == true)
        #expect(
            ProvinceCatalogue.problem(withName: "Hà Giang")
                == "'Hà Giang' is part of 'Tuyên Quang' since the 2025 merger")
        #expect(ProvinceCatalogue.problem(withName: "Ha Noi City")?.contains("the nearest is 'Hà Nội'") == true)

        let directory = try TemporaryDirectory()
        try directory.write(
            "probes/p.yaml",
            """
            groups:
              - name: a
                labels: {province: Hà Giang}
                targets:
                  - url: http://127.0.0.1:1/a
              - name: b
                labels: {province: Huế}
                targets:
                  - url: http://127.0.0.1:1/b
            """)
        let config = try directory.write("iocd.yaml", "storage: {path: ioc.db}\n")
        let check = try await TestProcess.run(try BuiltProduct.path("ioc"), ["check", "--config", config])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stderr.contains("warning: 'Hà Giang' is part of 'Tuyên Quang'"), "\(check.stderr)")
        #expect(
            check.stderr.components(separatedBy: "warning:").count == 2, "only the former province: \(check.stderr)")
    }
}

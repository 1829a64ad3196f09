import Foundation
import TestSupport
import Testing

/// `make install` and `make uninstall` into a staging directory, and the unit they install checked
/// by systemd's own tools.
@Suite struct InstallTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    func make(_ arguments: [String]) async throws -> (status: Int32?, stdout: String, stderr: String) {
        let bin = URL(fileURLWithPath: try BuiltProduct.path("ioc")).deletingLastPathComponent().path
        return try await TestProcess.run(
            "/usr/bin/make", ["-C", Self.repository, "IOC_BIN=\(bin)"] + arguments, timeout: .seconds(60))
    }

    @Test func installKeepsAnAdministratorsFilesAndUninstallKeepsTheConfiguration() async throws {
        let stage = try TemporaryDirectory()
        // The tree under a temporary directory, with the unit naming the binaries there, so that
        // systemd-analyze finds them.
        let places = [
            "PREFIX=\(stage.path)/usr/local", "SYSCONFDIR=\(stage.path)/etc",
            "UNITDIR=\(stage.path)/etc/systemd/system",
        ]
        let first = try await make(["install"] + places)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        for path in [
            "usr/local/bin/iocd", "usr/local/bin/ioc", "etc/systemd/system/iocd.service", "etc/iocd/iocd.yaml",
            "etc/iocd/rules/availability.yaml", "etc/iocd/dashboards/overview.yaml", "etc/iocd/probes/national.yaml",
            "etc/iocd/probes/templates/province.yaml", "usr/local/share/ioc/examples/iocd.yaml",
            "usr/local/share/ioc/examples/probes/example.yaml",
        ] {
            #expect(FileManager.default.fileExists(atPath: stage.file(path)), "\(path)")
        }
        // The simulator's example probes 127.0.0.1:17000 as Huế: not where iocd reads its probes.
        #expect(!FileManager.default.fileExists(atPath: stage.file("etc/iocd/probes/example.yaml")))
        // An administrator edits the configuration; a second install leaves it as it is.
        try "# edited\nstorage: {path: /var/lib/iocd/ioc.db}\n".write(
            toFile: stage.file("etc/iocd/iocd.yaml"), atomically: true, encoding: .utf8)
        let second = try await make(["install"] + places)
        #expect(second.status == 0)
        #expect(second.stdout.contains("kept \(stage.path)/etc/iocd/iocd.yaml"))
        #expect(try String(contentsOfFile: stage.file("etc/iocd/iocd.yaml"), encoding: .utf8).hasPrefix("# edited"))

        // systemd's own tools: the unit is valid and its exposure is OK or better (at most 2.0).
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") {
            let unit = stage.file("etc/systemd/system/iocd.service")
            // The service's memory is bounded, whatever a query or a feed asks of it.
            #expect(try String(contentsOfFile: unit, encoding: .utf8).contains("\nMemoryMax="))
            let verify = try await TestProcess.run("/usr/bin/systemd-analyze", ["verify", unit])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            let security = try await TestProcess.run(
                "/usr/bin/systemd-analyze", ["security", "--offline=true", unit])
            let level = security.stdout.split(separator: "\n").last { $0.contains("Overall exposure level") }
            let exposure = level.flatMap { line in
                line.split(separator: " ").compactMap { Double($0) }.first
            }
            #expect(exposure.map { $0 <= 2.0 } == true, "\(level ?? "")")
        }

        let removed = try await make(["uninstall"] + places)
        #expect(removed.status == 0)
        #expect(!FileManager.default.fileExists(atPath: stage.file("usr/local/bin/iocd")))
        #expect(!FileManager.default.fileExists(atPath: stage.file("etc/systemd/system/iocd.service")))
        #expect(FileManager.default.fileExists(atPath: stage.file("etc/iocd/iocd.yaml")))
    }
}

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
            "UNITDIR=\(stage.path)/etc/systemd/system", "SYSUSERSDIR=\(stage.path)/usr/lib/sysusers.d",
            "IOC_CREATE_USER=no",
        ]
        let first = try await make(["install"] + places)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        for path in [
            "usr/local/bin/iocd", "usr/local/bin/ioc", "etc/systemd/system/iocd.service", "etc/iocd/iocd.yaml",
            "etc/iocd/rules/availability.yaml", "etc/iocd/dashboards/overview.yaml", "etc/iocd/probes/national.yaml",
            "etc/iocd/probes/templates/province.yaml", "usr/local/share/ioc/examples/iocd.yaml",
            "usr/local/share/ioc/examples/probes/example.yaml", "usr/lib/sysusers.d/iocd.conf",
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

        // The unit runs as the static user iocd (not a dynamic one, whose store no operator could
        // reach), and systemd-sysusers creates it and its group from the installed file.
        let unitText = try String(contentsOfFile: stage.file("etc/systemd/system/iocd.service"), encoding: .utf8)
        #expect(unitText.contains("\nUser=iocd\n") && unitText.contains("\nGroup=iocd\n"))
        #expect(!unitText.contains("\nDynamicUser=yes"))
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-sysusers") {
            let root = try TemporaryDirectory()
            try FileManager.default.createDirectory(atPath: root.file("etc"), withIntermediateDirectories: true)
            let created = try await TestProcess.run(
                "/usr/bin/systemd-sysusers", ["--root=\(root.path)", stage.file("usr/lib/sysusers.d/iocd.conf")])
            #expect(created.status == 0, "\(created.stderr)")
            let passwd = (try? String(contentsOfFile: root.file("etc/passwd"), encoding: .utf8)) ?? ""
            let group = (try? String(contentsOfFile: root.file("etc/group"), encoding: .utf8)) ?? ""
            #expect(passwd.contains("iocd:x:") && passwd.contains(":/var/lib/iocd:/usr/sbin/nologin"), "\(passwd)")
            #expect(group.contains("iocd:x:"), "\(group)")
        }

        let removed = try await make(["uninstall"] + places)
        #expect(removed.status == 0)
        #expect(!FileManager.default.fileExists(atPath: stage.file("usr/local/bin/iocd")))
        #expect(!FileManager.default.fileExists(atPath: stage.file("etc/systemd/system/iocd.service")))
        #expect(FileManager.default.fileExists(atPath: stage.file("etc/iocd/iocd.yaml")))
        #expect(!FileManager.default.fileExists(atPath: stage.file("usr/lib/sysusers.d/iocd.conf")))
    }

    /// The store as the unit leaves it (folder 0750 and files 0640, owned by iocd's group): an
    /// operator in the group reads it, also after iocd has stopped; one outside is told why not and
    /// how to join. Run as another user with setpriv, which needs root.
    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func anOperatorInTheGroupReadsTheStoreAndOneOutsideIsToldWhy() async throws {
        let directory = try TemporaryDirectory()
        chmod(directory.path, 0o755)
        let folder = directory.file("iocd")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let history = try directory.write("h.om", "# TYPE up gauge\nup{job=\"x\"} 1 1796263200\n# EOF\n")
        let ioc = try BuiltProduct.path("ioc")
        let imported = try await TestProcess.run(ioc, ["import", "--db", folder + "/ioc.db", history])
        #expect(imported.status == 0, "\(imported.stderr)")
        // A group no user of this machine is in, as iocd's is to a new operator.
        let group: gid_t = 47_123
        for name in ["", "/ioc.db", "/ioc.db-wal", "/ioc.db-shm"] {
            #expect(chown(folder + name, 0, group) == 0, "\(name): the -wal and -shm files stay after the writer")
            chmod(folder + name, name.isEmpty ? 0o750 : 0o640)
        }
        let query = ["query", "--db", folder + "/ioc.db", "--time", "1796263200", "up"]
        let member = try await TestProcess.run(
            "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--groups=\(group)", ioc] + query)
        #expect(member.status == 0 && member.stdout.contains("=> 1"), "\(member.stdout)\(member.stderr)")
        let outsider = try await TestProcess.run(
            "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", ioc] + query)
        #expect(outsider.status != 0)
        #expect(
            outsider.stderr.contains("permission denied") && outsider.stderr.contains("usermod -aG iocd"),
            "\(outsider.stderr)")
    }
}

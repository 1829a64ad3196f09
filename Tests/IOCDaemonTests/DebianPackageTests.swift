import Foundation
import Testing
import TestSupport

/// The Debian package (`make deb`), built once by `make test` (IOC_DEB names it; without it the test
/// builds it in a folder of its own, since the running `swift test` holds .build's lock), inspected, installed with dpkg on this machine, run without the Swift toolchain, and
/// purged. It needs root, as dpkg does.
@Suite(.enabled(if: getuid() == 0, "dpkg -i needs root")) struct DebianPackageTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    /// A PATH and environment without the toolchain: what a server that never had Swift has.
    static let bare = ["/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8"]

    static func run(_ arguments: [String], timeout: Duration = .seconds(120)) async throws -> (
        status: Int32?, stdout: String, stderr: String
    ) {
        try await TestProcess.run(arguments[0], Array(arguments.dropFirst()), timeout: timeout)
    }

    static func package() async throws -> String {
        if let built = ProcessInfo.processInfo.environment["IOC_DEB"], !built.isEmpty { return built }
        // Beside the build's scratch, not in a temporary folder: that went away as this returned,
        // and the package with it (seen when `swift test` ran this without make).
        let output = "\(repository)/.build-deb-test/out"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let built = try await TestProcess.run(
            "\(repository)/scripts/build-deb.sh", [],
            environment: ["OUT_DIR": output, "IOC_SCRATCH": "\(repository)/.build-deb-test"],
            timeout: .seconds(1800))
        #expect(built.status == 0, "\(built.stderr)")
        return built.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Every path under the places a package may touch, but for dpkg's and apt's own records.
    static func tree() async throws -> Set<String> {
        let found = try await run(
            ["/usr/bin/find", "/etc", "/usr", "/lib", "/var/lib", "/var/cache", "-xdev"], timeout: .seconds(300))
        return Set(
            found.stdout.split(separator: "\n").map(String.init).filter {
                !$0.hasPrefix("/var/lib/dpkg") && !$0.hasPrefix("/var/lib/apt") && !$0.hasPrefix("/var/cache/apt")
                    && !$0.hasPrefix("/var/cache/man") && !$0.hasPrefix("/var/lib/nginx")
            })
    }

    @Test func thePackageInstallsRunsWithoutTheToolchainAndPurgesLeavingNothing() async throws {
        try await HeavyTests.one {
            let package = try await Self.package()
            #expect(FileManager.default.fileExists(atPath: package), "\(package)")
            _ = try await Self.run(["/usr/bin/dpkg", "--purge", "ioc"])

            // What is in it, and what it depends on: Debian's libraries, no Swift.
            let contents = try await Self.run(["/usr/bin/dpkg-deb", "-c", package]).stdout
            for path in [
                "./usr/bin/iocd", "./lib/systemd/system/iocd.service", "./etc/iocd/iocd.yaml",
                "./etc/iocd/probes/national.yaml", "./etc/iocd/probes/templates/province.yaml",
                "./usr/share/man/man8/iocd.8.gz", "./usr/share/man/man1/ioc.1.gz",
                "./usr/share/man/man1/ioc-silence-add.1.gz", "./usr/share/bash-completion/completions/ioc",
                "./usr/share/zsh/vendor-completions/_ioc", "./usr/share/fish/vendor_completions.d/ioc.fish",
                "./usr/share/doc/ioc/copyright", "./usr/share/doc/ioc/changelog.gz",
            ] {
                #expect(contents.contains(" \(path)\n"), "\(path) missing from the package")
            }
            #expect(!contents.contains("./etc/iocd/probes/example.yaml"), "the simulator's probes are an example only")
            // One binary: ioc is iocd under another name, so the runtime is installed once.
            #expect(contents.contains(" ./usr/bin/ioc -> iocd\n"), "\(contents)")
            let depends = try await Self.run(["/usr/bin/dpkg-deb", "-f", package, "Depends"]).stdout
            #expect(
                depends.contains("libcurl4") && depends.contains("libsqlite3-0") && depends.contains("libjemalloc2")
                    && !depends.contains("swift"), "\(depends)")
            let conffiles = try await Self.run(["/usr/bin/dpkg-deb", "-I", package, "conffiles"]).stdout
            #expect(conffiles.contains("/etc/iocd/iocd.yaml\n") && conffiles.contains("/etc/iocd/rules/"))

            // lintian: no error and no warning that the overrides do not explain.
            let lint = try await Self.run(
                [
                    "/usr/bin/lintian", "--fail-on", "error,warning", "--suppress-tags",
                    "bad-distribution-in-changes-file",
                    package,
                ], timeout: .seconds(600))
            #expect(lint.status == 0, "\(lint.stdout)\(lint.stderr)")

            let before = try await Self.tree()
            let installed = try await Self.run(["/usr/bin/dpkg", "-i", package])
            #expect(installed.status == 0, "\(installed.stdout)\(installed.stderr)")
            try await Self.checkInstalled()

            let purged = try await Self.run(["/usr/bin/dpkg", "--purge", "ioc"])
            #expect(purged.status == 0, "\(purged.stdout)\(purged.stderr)")
            let after = try await Self.tree()
            // What Debian policy keeps: the system user and group (the files that list them change,
            // and their backups may appear).
            let kept: Set<String> = [
                "/etc/passwd-", "/etc/group-", "/etc/shadow-", "/etc/gshadow-", "/etc/subuid-", "/etc/subgid-",
            ]
            let left = after.subtracting(before).subtracting(kept)
            #expect(left.isEmpty, "left behind: \(left.sorted())")
            let missing = before.subtracting(after)
            #expect(missing.isEmpty, "removed what was not ours: \(missing.sorted().prefix(20))")
            #expect(try await Self.run(["/usr/bin/getent", "passwd", "iocd"]).status == 0, "the user stays")
        }
    }

    /// The installed package: the binaries need no Swift library, run with a bare environment, the
    /// shipped configuration checks, every man page renders, the user and the store's directory exist.
    static func checkInstalled() async throws {
        for program in ["/usr/bin/iocd", "/usr/bin/ioc"] {
            let libraries = try await run(["/usr/bin/ldd", program]).stdout
            #expect(!libraries.lowercased().contains("swift") && !libraries.contains("not found"), "\(libraries)")
            // SwiftPM's $ORIGIN may stay; nothing may point into a toolchain.
            let paths = try await run(["/usr/bin/readelf", "-d", program]).stdout.split(separator: "\n").filter {
                $0.contains("RUNPATH") || $0.contains("RPATH")
            }
            #expect(paths.allSatisfy { $0.hasSuffix("[$ORIGIN]") }, "\(paths)")
        }
        let version = try await run(bare + ["/usr/bin/iocd", "--version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("iocd, version ") && version.stdout.contains("swift version:"), "\(version)")
        let ioc = try await run(bare + ["/usr/bin/ioc", "--version"])
        #expect(ioc.stdout.hasPrefix("ioc, version "), "\(ioc)")
        let check = try await run(bare + ["/usr/bin/ioc", "check", "--config", "/etc/iocd/iocd.yaml"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")

        let pages = try await run(["/usr/bin/dpkg", "-L", "ioc"]).stdout.split(separator: "\n").filter {
            $0.hasPrefix("/usr/share/man/") && $0.hasSuffix(".gz")
        }
        #expect(pages.count >= 15, "\(pages)")
        for page in pages {
            let shown = try await run(
                [
                    "/usr/bin/env", "LANG=C.UTF-8", "MANWIDTH=80", "MANPAGER=cat", "/usr/bin/man", "--warnings", "-l",
                    String(page),
                ])
            // Bold as man writes it to a pipe: each letter, a backspace, the letter again.
            var plain = ""
            for character in shown.stdout {
                if character == "\u{8}" { _ = plain.popLast() } else { plain.append(character) }
            }
            #expect(shown.status == 0 && plain.contains("EXIT STATUS"), "\(page): \(plain.prefix(300))")
            #expect(shown.stderr.isEmpty, "\(page): \(shown.stderr)")
            if page.hasSuffix("ioc-query.1.gz") {
                #expect(plain.contains(#"probe_success{province="Huế"}"#), "Vietnamese letters print whole")
            }
        }

        #expect(try await run(["/usr/bin/getent", "passwd", "iocd"]).stdout.contains(":/var/lib/iocd:"))
        let store = try FileManager.default.attributesOfItem(atPath: "/var/lib/iocd")
        #expect((store[.posixPermissions] as? Int) == 0o750)
        #expect((store[.ownerAccountName] as? String) == "iocd")
        // Enabled the Debian way, though systemd may not run here.
        #expect(FileManager.default.fileExists(atPath: "/etc/systemd/system/multi-user.target.wants/iocd.service"))
        // The unit as systemd reads it, its man page found.
        let verify = try await run(["/usr/bin/systemd-analyze", "verify", "/lib/systemd/system/iocd.service"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let bash = try String(contentsOfFile: "/usr/share/bash-completion/completions/ioc", encoding: .utf8)
        #expect(bash.contains("silence"))
    }
}

import Foundation
import TestSupport
import Testing

/// Every command the READMEs show (`sh` blocks of README.md, probes/README.md and
/// dashboards/README.md) runs as shown, and every transcript (`console` blocks) prints what it
/// shows. The commands run in a copy of an installed centre: /etc/iocd as `make install` leaves it,
/// the store in /var/lib/iocd, `ioc` and `iocd` on the PATH. Only places are rewritten: those two
/// folders to the copy's, and the simulator's and iocd's default addresses (127.0.0.1:17000 and
/// :9420) to free ports. The README's own `ioc simulate` and `iocd` lines are the centre's simulator
/// and daemon: started first, stopped last, each expected to exit 0. `make test` is this suite and
/// is not run again; `make demo` runs with the binaries already built and no terminal; the live
/// `ioc dashboard` runs in tmux and quits on `q`.
@Suite(.serialized) struct ReadmeCommandsTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let documents = ["README.md", "probes/README.md", "dashboards/README.md"]

    /// The fenced blocks of a Markdown file with the given language.
    static func blocks(_ language: String, in document: String) throws -> [[String]] {
        let text = try String(contentsOfFile: repository + "/" + document, encoding: .utf8)
        var blocks: [[String]] = []
        var current: [String]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if current == nil, line == "```" + language {
                current = []
            } else if current != nil, line == "```" {
                blocks.append(current ?? [])
                current = nil
            } else if current != nil {
                current?.append(line)
            }
        }
        return blocks
    }

    /// The copy of a centre the commands run in.
    struct Centre {
        let root: TemporaryDirectory
        let simulatorPort = refusedPort()
        let listenerPort = refusedPort()
        var etc: String { root.file("etc/iocd") }
        var store: String { root.file("var/lib/iocd") }
        let bin: String

        init() throws {
            root = try TemporaryDirectory()
            bin = URL(fileURLWithPath: try BuiltProduct.path("ioc")).deletingLastPathComponent().path
            let files = FileManager.default
            try files.createDirectory(atPath: root.file("etc/iocd"), withIntermediateDirectories: true)
            try files.createDirectory(atPath: root.file("var/lib/iocd"), withIntermediateDirectories: true)
            // As make install leaves /etc/iocd: the examples but the simulator's probes.
            for item in ["iocd.yaml", "probes", "rules", "dashboards"] {
                try files.copyItem(atPath: ReadmeCommandsTests.repository + "/" + item, toPath: etc + "/" + item)
            }
            try files.removeItem(atPath: etc + "/probes/example.yaml")
            let config = try String(contentsOfFile: etc + "/iocd.yaml", encoding: .utf8)
            try rewrite(config).write(toFile: etc + "/iocd.yaml", atomically: true, encoding: .utf8)
        }

        /// A command or file with the installed places moved to this copy's.
        func rewrite(_ text: String) -> String {
            text.replacingOccurrences(of: "/etc/iocd/", with: etc + "/")
                .replacingOccurrences(of: "/var/lib/iocd/", with: store + "/")
                .replacingOccurrences(of: "127.0.0.1:17000", with: "127.0.0.1:\(simulatorPort)")
                .replacingOccurrences(of: "127.0.0.1:9420", with: "127.0.0.1:\(listenerPort)")
        }

        var environment: [String: String] {
            [
                "PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
                "IOC_CONFIG": etc + "/iocd.yaml", "IOC_DB": "", "HOME": root.path, "LANG": "C.UTF-8",
            ]
        }

        /// Starts a line with bash in the copy's configuration folder; `exec` makes signals reach it.
        func start(_ line: String) throws -> TestProcess {
            try TestProcess("/bin/bash", ["-c", "cd '\(etc)' && exec \(rewrite(line))"], environment: environment)
        }

        func run(_ line: String, timeout: Duration = .seconds(90)) async throws -> (
            status: Int32?, stdout: String, stderr: String
        ) {
            try await TestProcess.run(
                "/bin/bash", ["-o", "pipefail", "-c", "cd '\(etc)' && \(rewrite(line))"], environment: environment,
                timeout: timeout)
        }
    }

    @Test func everyCommandShownRunsAsShown() async throws {
        try await HeavyTests.one { try await runEveryCommand() }
    }

    private func runEveryCommand() async throws {
        let lines = try Self.documents.flatMap { document in
            try Self.blocks("sh", in: document).flatMap { $0 }.filter {
                !$0.trimmingCharacters(in: .whitespaces).isEmpty
            }.map { (document, $0) }
        }
        let centre = try Centre()
        let simulatorLine = try #require(lines.first { $0.1.hasPrefix("ioc simulate ") }?.1)
        let daemonLine = try #require(lines.first { $0.1.hasPrefix("iocd ") }?.1)

        // The centre's simulator and daemon, as the README starts them.
        let simulator = try centre.start(simulatorLine)
        let listening = await waitUntil(timeout: .seconds(30)) {
            FileManager.default.fileExists(atPath: centre.etc + "/probes/simulator.yaml")
        }
        #expect(listening, "\(simulatorLine): \(simulator.standardError)")
        let daemon = try centre.start(daemonLine)
        let probing = try await waitUntil(timeout: .seconds(60)) {
            let found = try await centre.run("ioc query 'count(probe_success{service=\"dvc\"})'")
            return found.stdout.contains("=> 34")
        }
        #expect(probing, "\(daemonLine): \(daemon.standardError)")

        for (document, line) in lines where line != simulatorLine && line != daemonLine {
            try await check(line, from: document, in: centre)
        }

        daemon.signal(SIGTERM)
        #expect(await daemon.exitStatus(within: .seconds(30)) == 0, "\(daemonLine): \(daemon.standardError)")
        simulator.signal(SIGTERM)
        #expect(await simulator.exitStatus(within: .seconds(30)) == 0, "\(simulatorLine)")
    }

    /// Runs one line and checks that it did what the README says.
    private func check(_ line: String, from document: String, in centre: Centre) async throws {
        let command =
            line.split(separator: "#", maxSplits: 1).first.map {
                $0.trimmingCharacters(in: .whitespaces)
            } ?? line
        switch command {
        case "make test":
            return  // this suite
        case "make demo":
            let demo = try await TestProcess.run(
                "/usr/bin/make", ["-C", Self.repository, "demo", "IOC_BIN=\(centre.bin)"],
                environment: ["IOC_DEMO_SECONDS": "6"], timeout: .seconds(90))
            #expect(demo.status == 0 && demo.stdout.contains("iocd is probing"), "\(demo.stdout)\(demo.stderr)")
            return
        case "make demo-national":
            let demo = try await TestProcess.run(
                "/usr/bin/make", ["-C", Self.repository, "demo-national", "IOC_BIN=\(centre.bin)"],
                environment: ["IOC_DEMO_SECONDS": "12"], timeout: .seconds(120))
            // Six centres and 34 provinces in VictoriaMetrics; the last overview read from it, fresh.
            let last = demo.stdout.components(separatedBy: " IOC · ").last ?? ""
            #expect(
                demo.status == 0 && demo.stdout.contains("{} => 6 @") && demo.stdout.contains("{} => 34 @")
                    && last.contains("/34") && !last.contains("No data yet") && !last.contains("has not written"),
                "\(demo.stdout.suffix(3000))\(demo.stderr)")
            return
        case "ioc dashboard":
            try await liveDashboard(in: centre, line: line)
            return
        default: break
        }
        let result = try await centre.run(line)
        // A probe that fails is exit status 1 (a national platform is not reachable from here);
        // anything else must succeed, and nothing may be a usage error (64).
        let allowed: Set<Int32> = command.hasPrefix("ioc probe ") ? [0, 1] : [0]
        #expect(
            result.status.map { allowed.contains($0) } == true,
            "\(document): \(line) exited \(String(describing: result.status)):\n\(result.stdout)\n\(result.stderr)")
    }

    /// `ioc dashboard` on a terminal: it draws the overview and quits on `q` with status 0.
    private func liveDashboard(in centre: Centre, line: String) async throws {
        let script = try centre.root.write(
            "dashboard.sh",
            centre.environment.map { "export \($0.key)='\($0.value)'" }.joined(separator: "\n")
                + "\ncd '\(centre.etc)'\n\(centre.rewrite(line))\necho \"EXITED:$?\"; sleep 60\n")
        let terminal = try await TmuxSession(running: script, in: centre.root, width: 120, height: 40)
        let drawn = try await waitUntil(timeout: .seconds(20)) {
            try await terminal.screen().contains("Provinces × services")
        }
        let screen = try await terminal.screen()
        #expect(drawn, "\(line): \(screen)")
        try await terminal.keys("q")
        let quit = try await waitUntil(timeout: .seconds(10)) { try await terminal.screen().contains("EXITED:0") }
        let after = try await terminal.screen()
        #expect(quit, "\(line): \(after)")
    }

    /// A transcript runs in a copy of its own (it may break the configuration on purpose): each `$`
    /// line is run, and every line shown after it is in what it printed.
    @Test func everyTranscriptPrintsWhatItShows() async throws {
        let centre = try Centre()
        // "the file above": the README's probe file example.
        let example = try #require(
            try Self.blocks("yaml", in: "README.md").first { $0.first == "groups:" && $0.contains("  - name: hue") })
        _ = try centre.root.write("etc/iocd/probes/hue.yaml", example.joined(separator: "\n") + "\n")
        let transcripts = try Self.documents.flatMap { try Self.blocks("console", in: $0) }
        #expect(!transcripts.isEmpty)
        for transcript in transcripts {
            var index = 0
            while index < transcript.count {
                let line = transcript[index]
                index += 1
                guard line.hasPrefix("$ ") else { continue }
                let result = try await centre.run(String(line.dropFirst(2)))
                let printed = (result.stdout + result.stderr).replacingOccurrences(
                    of: centre.etc + "/", with: "/etc/iocd/")
                while index < transcript.count && !transcript[index].hasPrefix("$ ") {
                    #expect(
                        printed.contains(transcript[index]),
                        "\(line)\nshown:   \(transcript[index])\nprinted: \(printed)")
                    index += 1
                }
            }
        }
    }
}

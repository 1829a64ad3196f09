import Foundation
import IOCSimulator
import TestSupport
import Testing

/// `ioc probe` as a script would run it: the built binary against real servers on loopback.
@Suite struct ProbeCommandTests {
    func ioc(_ arguments: [String]) async throws -> (status: Int32?, stdout: String, stderr: String) {
        try await TestProcess.run(try BuiltProduct.path("ioc"), ["probe"] + arguments)
    }

    @Test func explainsASuccessAndExitsZero() async throws {
        let simulator = try await Simulator(world: .demo())
        let result = try await ioc([
            "\(simulator.baseURL)/hue/dvc/health", "--expect-json", #"$.status == "UP""#, "--max-latency",
            "warning:1ms",
        ])
        #expect(result.status == 0)
        #expect(result.stdout.contains("status       200 (HTTP/1.1)"))
        #expect(result.stdout.contains("processing"))
        #expect(result.stdout.contains(#"✓ json $.status == "UP""#))
        #expect(result.stdout.contains("! latency at most 1ms (warning)"))
        #expect(result.stdout.contains("result       DEGRADED (latency)"))
        await simulator.stop()
    }

    /// `ioc probe probes/national.yaml`, as probes/README.md shows it: every target of a probe file
    /// once, with the file's settings.
    @Test func aProbeFileIsProbedTargetByTarget() async throws {
        let simulator = try await Simulator(world: .demo())
        let directory = try TemporaryDirectory()
        let file = try directory.write(
            "p.yaml",
            """
            groups:
              - name: hue
                labels: {province: Huế}
                expect: [{json: '$.status == "UP"'}]
                targets:
                  - url: \(simulator.baseURL)/hue/dvc/health
                  - url: \(simulator.baseURL)/can-tho/lgsp/health
            """)
        let result = try await ioc([file])
        #expect(result.status == 1, "one target is down: \(result.stderr)")
        #expect(result.stdout.contains("1 of 2 targets up"), "\(result.stdout)")
        #expect(result.stdout.contains("/hue/dvc/health") && result.stdout.contains("result       UP"))
        await simulator.stop()
    }

    @Test func explainsAFailureAndExitsOne() async throws {
        let simulator = try await Simulator(world: .demo())
        let status = try await ioc(["\(simulator.baseURL)/can-tho/lgsp/health"])
        #expect(status.status == 1)
        #expect(status.stdout.contains("✗ status in 200-299: status 500"))
        #expect(status.stdout.contains("result       DOWN (status): status 500"))

        let timeout = try await ioc(["\(simulator.baseURL)/test/delay/5000", "--timeout", "300ms"])
        #expect(timeout.status == 1)
        #expect(timeout.stdout.contains("DOWN (timeout)"))

        let closed = ClosedPort()
        let refused = try await ioc(["--tcp", "127.0.0.1:\(closed.number)"])
        withExtendedLifetime(closed) {}
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("DOWN (connect)"))

        let open = try await ioc(["--tcp", "127.0.0.1:\(simulator.port)"])
        #expect(open.status == 0)
        await simulator.stop()
    }

    @Test func remoteTextNeverReachesTheTerminalRaw() async throws {
        let simulator = try await Simulator(world: .demo())
        // The echo endpoint returns the body; the failed condition prints what it found.
        let result = try await ioc([
            "\(simulator.baseURL)/test/echo", "-X", "POST", "--data", "\u{1B}]0;pwned\u{07}\u{1B}[2J", "--expect-json",
            #"$.body == "x""#,
        ])
        #expect(result.status == 1)
        #expect(result.stdout.contains("DOWN (json)"))
        #expect(!result.stdout.contains("\u{1B}"))
        #expect(!result.stdout.contains("\u{07}"))
        await simulator.stop()
    }

    @Test(arguments: [
        (["ftp://example"], "is not an http:// or https:// URL"), (["--tcp", "nohost"], "is not HOST:PORT"),
        (["http://x/", "--expect-json", "status == 1"], "--expect-json"),
        (["http://x/", "--timeout", "soon"], "--timeout"),
        (["--tcp", "h:1", "--expect-status", "200"], "cannot be checked on a TCP port"),
    ])
    func badOptionsAreUsageErrors(arguments: [String], message: String) async throws {
        let result = try await ioc(arguments)
        #expect(result.status == 64)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test(.enabled(if: TLSServer.isAvailable)) func showsTheCertificateAndChecksItsDays() async throws {
        let server = try await TLSServer()
        let good = try await ioc([server.url(.valid), "--ca-file", server.caFile, "--min-cert-days", "20"])
        #expect(good.status == 0, "\(good.stdout)")
        #expect(good.stdout.contains("certificate  earliest expiry"))
        #expect(good.stdout.contains("✓ certificate valid for at least 20 days"))
        let short = try await ioc([server.url(.valid), "--ca-file", server.caFile, "--min-cert-days", "45"])
        #expect(short.status == 1)
        #expect(short.stdout.contains("DOWN (certificate)"))
        let untrusted = try await ioc([server.url(.selfSigned)])
        #expect(untrusted.status == 1)
        #expect(untrusted.stdout.contains("DOWN (tls)"))
    }
}

import IOCCore
import IOCHTTP
import IOCProbe
import TestSupport
import Testing

/// Probes against a real TLS server (nginx) with certificates made for the test.
@Suite(.enabled(if: TLSServer.isAvailable), .serialized) struct TLSProbeTests {
    func probe(
        _ server: TLSServer, _ item: TLSServer.Case, host: String = "localhost", trustTestCA: Bool = true,
        _ change: (inout HTTPProbe) -> Void = { _ in }
    ) async -> (ProbeResult, [LabeledSample]) {
        var http = HTTPProbe(url: server.url(item, host: host))
        if trustTestCA { http.tls.caFile = server.caFile }
        change(&http)
        let target = ProbeTarget(
            labels: Labels(["job": "tls", "instance": http.url]), kind: .http(http), interval: .seconds(10),
            timeout: .seconds(5), location: SourceLocation(file: "t", line: 1, column: 1))
        let client = HTTPClient()
        let result = await Prober(client: client).probe(target)
        await client.shutdown()
        return (result, result.samples(for: target))
    }

    func value(_ name: String, _ samples: [LabeledSample]) -> Double? {
        samples.first { $0.labels.metric == name }?.sample.value
    }

    @Test func everyCaseGivesTheRightVerdictReasonAndExpiry() async throws {
        let server = try await TLSServer()

        let (valid, validSamples) = await probe(server, .valid)
        #expect(valid.success, "\(String(describing: valid.failure))")
        #expect(value("probe_http_ssl", validSamples) == 1)
        #expect(try #require(valid.response?.timings.tls) > 0)
        // The chain is the server's certificate (30 days) and the test CA (10 years): the earliest is the server's.
        #expect(value("probe_ssl_earliest_cert_expiry", validSamples) == Double(server.validNotAfter))

        let (expired, _) = await probe(server, .expired)
        #expect(!expired.success)
        #expect(expired.failure?.reason == "tls")
        #expect(expired.failure?.message.contains("expired") == true, "\(String(describing: expired.failure))")
        // As with blackbox_exporter, a chain that fails verification reports no expiry: the reason says why.
        #expect(expired.earliestCertificateExpiry == nil)

        let (selfSigned, _) = await probe(server, .selfSigned)
        #expect(!selfSigned.success)
        #expect(selfSigned.failure?.reason == "tls")
        #expect(selfSigned.failure?.message.contains("self") == true, "\(String(describing: selfSigned.failure))")

        let (wrongHost, _) = await probe(server, .wrongHost)
        #expect(!wrongHost.success)
        #expect(wrongHost.failure?.reason == "tls")
        #expect(wrongHost.failure?.message.contains("localhost") == true, "\(String(describing: wrongHost.failure))")

        // Without a client certificate nginx completes the handshake and answers 400.
        let (anonymous, _) = await probe(server, .clientCertificateRequired)
        #expect(!anonymous.success)
        #expect(anonymous.failure?.reason == "status")
        #expect(anonymous.response?.status == 400)
        let (mutual, _) = await probe(server, .clientCertificateRequired) {
            $0.tls.certificateFile = server.clientCertificateFile
            $0.tls.keyFile = server.clientKeyFile
        }
        #expect(mutual.success, "\(String(describing: mutual.failure))")
    }

    @Test func theSystemTrustStoreDoesNotKnowTheTestCA() async throws {
        let server = try await TLSServer()
        let (result, _) = await probe(server, .valid, trustTestCA: false)
        #expect(!result.success)
        #expect(result.failure?.reason == "tls")
        let (skipped, _) = await probe(server, .selfSigned, trustTestCA: false) { $0.tls.verify = false }
        #expect(skipped.success)
    }

    @Test func aMinimumTLSVersionIsEnforced() async throws {
        let server = try await TLSServer()
        let (twelve, _) = await probe(server, .tls12Only) { $0.tls.minimumVersion = .tls12 }
        #expect(twelve.success, "\(String(describing: twelve.failure))")
        let (thirteen, _) = await probe(server, .tls12Only) { $0.tls.minimumVersion = .tls13 }
        #expect(!thirteen.success)
        #expect(thirteen.failure?.reason == "tls")
        let (modern, _) = await probe(server, .valid) { $0.tls.minimumVersion = .tls13 }
        #expect(modern.success, "\(String(describing: modern.failure))")
    }

    @Test func certificateDaysAreAnExpectation() async throws {
        let server = try await TLSServer()
        let (enough, _) = await probe(server, .valid) { $0.expectations = [Expectation(.minCertificateDays(20))] }
        #expect(enough.success)
        let (tooFew, _) = await probe(server, .valid) { $0.expectations = [Expectation(.minCertificateDays(60))] }
        #expect(!tooFew.success)
        #expect(tooFew.failure?.reason == "certificate")
        let (warned, _) = await probe(server, .valid) {
            $0.expectations = [Expectation(.minCertificateDays(60), severity: .warning)]
        }
        #expect(warned.success && warned.degraded)
    }

    @Test func aTCPProbeCanCompleteTheHandshake() async throws {
        let server = try await TLSServer()
        var tcp = TCPProbe(host: "localhost", port: server.ports[.valid] ?? 0)
        tcp.useTLS = true
        tcp.tls.caFile = server.caFile
        let target = ProbeTarget(
            labels: Labels(["job": "tcp", "instance": tcp.address]), kind: .tcp(tcp), interval: .seconds(10),
            timeout: .seconds(5), location: SourceLocation(file: "t", line: 1, column: 1))
        let client = HTTPClient()
        let result = await Prober(client: client).probe(target)
        #expect(result.success, "\(String(describing: result.failure))")
        #expect(result.earliestCertificateExpiry == server.validNotAfter)
        var expiredTCP = tcp
        expiredTCP.port = server.ports[.expired] ?? 0
        let expired = await Prober(client: client).probe(
            ProbeTarget(
                labels: target.labels, kind: .tcp(expiredTCP), interval: .seconds(10), timeout: .seconds(5),
                location: target.location))
        #expect(expired.failure?.reason == "tls")
        await client.shutdown()
    }
}

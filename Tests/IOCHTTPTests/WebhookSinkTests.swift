import Glibc
import IOCHTTP
import TestSupport
import Testing

/// The tests' own receiver of webhooks and remote writes: a client that connects and says nothing,
/// or speaks TLS to it (another test's probe reaching a port its owner let go, which the kernel
/// then gave this sink), holds only its own connection. A sink that served one connection at a
/// time answered nothing for five seconds per such client, and a remote-write test timed out.
@Suite struct WebhookSinkTests {
    @Test func answersWhileOtherClientsSayNothing() async throws {
        let sink = try WebhookSink(port: 0)
        defer { sink.stop() }
        let silent = try (0..<3).map { _ in try #require(loopbackConnection(port: sink.port)) }
        defer { silent.forEach { close($0) } }
        // Two sockets that speak TLS's first bytes and wait for an answer that never comes.
        let speakingTLS = try (0..<2).map { _ in try #require(loopbackConnection(port: sink.port)) }
        defer { speakingTLS.forEach { close($0) } }
        for descriptor in speakingTLS {
            let hello: [UInt8] = [0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x03]
            _ = send(descriptor, hello, hello.count, Int32(MSG_NOSIGNAL))
        }
        let client = HTTPClient()
        let response = await client.perform(
            HTTPRequest(
                url: "http://127.0.0.1:\(sink.port)/hook", method: "POST", body: Array("fired".utf8),
                timeout: .seconds(2)))
        await client.shutdown()
        #expect(response.status == 200, "\(response.failure.map { "\($0)" } ?? ""); \(sink.diagnosis)")
        #expect(sink.requests.map(\.path) == ["/hook"] && sink.requests.map(\.body) == ["fired"])
    }
}

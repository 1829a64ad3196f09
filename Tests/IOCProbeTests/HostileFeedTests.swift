import Dispatch
import Foundation
import IOCCore
import IOCHTTP
@testable import IOCProbe
import Testing

/// Feed bodies an attacker would send, parsed where the prober parses them (a thread of Dispatch's
/// pool): an error or samples, never a crash.
@Suite struct HostileFeedTests {
    static func parseOnAWorker(_ feed: FeedProbe, _ body: [UInt8]) async -> ProbeResult {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let response = HTTPResponse(status: 200, body: body, timings: HTTPTimings(), redirects: 0, failure: nil)
                continuation.resume(
                    returning: Prober.scrapeResult(feed, response: response, started: 1_800_000_000_000))
            }
        }
    }

    /// Foundation reads JSON nested up to 512 levels; deeper is the feed's parse error.
    @Test(arguments: [(10, true), (400, true), (100_000, false)])
    func deeplyNestedJSONIsAnErrorOrData(depth: Int, parses: Bool) async throws {
        var feed = FeedProbe(url: "http://127.0.0.1:9/feed")
        feed.format = .json
        feed.json = JSONFeedMapping(
            items: try JSONPath(parsing: "$[*]"), labels: [], metrics: [("m", try JSONPath(parsing: "$.v"))])
        for body in [
            String(repeating: "[", count: depth) + String(repeating: "]", count: depth),
            String(repeating: #"{"v":"#, count: depth) + "1" + String(repeating: "}", count: depth),
        ] {
            let result = await Self.parseOnAWorker(feed, Array(body.utf8))
            #expect(result.success == parses, "\(result.failure?.message ?? "")")
            #expect(parses || result.failure?.reason == "parse")
        }
    }

    @Test func aSeriesOfAHundredThousandLabelsIsParsedAndRefused() async {
        let labels = (0..<100_000).map { "l\($0)=\"v\"" }.joined(separator: ",")
        let feed = FeedProbe(url: "http://127.0.0.1:9/metrics")
        let result = await Self.parseOnAWorker(feed, Array("m{\(labels)} 1\n".utf8))
        #expect(result.success && result.feedSamples.isEmpty)
        #expect(result.rejectedSamples == [.tooManyLabels: 1])
    }
}

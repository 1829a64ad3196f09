import IOCCore
import IOCHTTP
import IOCProbe
import IOCSimulator
import TestSupport
import Testing

/// Feeds scraped over real libcurl from the simulator: the well-formed and the malformed.
@Suite struct FeedScrapeTests {
    func target(_ url: String) -> ProbeTarget {
        target(url, feed: FeedProbe(url: url))
    }

    func target(
        _ url: String, timeout: Duration = .seconds(10), _ change: (inout FeedProbe) throws -> Void
    ) rethrows -> ProbeTarget {
        var feed = FeedProbe(url: url)
        try change(&feed)
        return target(url, feed: feed, timeout: timeout)
    }

    func target(_ url: String, feed: FeedProbe, timeout: Duration = .seconds(10)) -> ProbeTarget {
        ProbeTarget(
            labels: Labels(["job": "feeds", "instance": url, "province": "national"]), kind: .feed(feed),
            interval: .seconds(30), timeout: timeout, location: SourceLocation(file: "t", line: 1, column: 1))
    }

    func value(_ samples: [LabeledSample], _ metric: String, _ label: (String, String)? = nil) -> Double? {
        samples.first { sample in
            sample.labels.metric == metric && (label.map { sample.labels[$0.0] == $0.1 } ?? true)
        }?.sample.value
    }

    @Test func scrapesThePrometheusFeedWithTheTargetsLabels() async throws {
        let simulator = try await Simulator(world: .demo())
        let client = HTTPClient()
        let feed = target("\(simulator.baseURL)/feeds/metrics")
        let result = await Prober(client: client).probe(feed)
        #expect(result.success, "\(String(describing: result.failure))")
        let samples = result.samples(for: feed)
        #expect(value(samples, "up") == 1)
        #expect(value(samples, "scrape_samples_scraped") == Double(result.feedSamples.count))
        #expect(result.feedSamples.count == 5 * 5)
        let received = try #require(
            samples.first {
                $0.labels.metric == "ioc_sim_dossiers_received_total" && $0.labels["province_code"] == "46"
            })
        // The target's province label wins; the feed's is kept as exported_province.
        #expect(received.labels["province"] == "national")
        #expect(received.labels["exported_province"] == "Huế")
        #expect(received.labels["job"] == "feeds")
        #expect(received.sample.value > 0)
        #expect(result.feedMetadata["ioc_sim_dossiers_received_total"]?.type == "counter")
        #expect(result.feedMetadata["ioc_sim_dossiers_received_total"]?.help == "Dossiers received since 1 July 2025.")
        await client.shutdown()
        await simulator.stop()
    }

    @Test func mapsAJSONFeedToSeries() async throws {
        let simulator = try await Simulator(world: .demo())
        let client = HTTPClient()
        let feed = try target("\(simulator.baseURL)/feeds/dossiers.json") {
            $0.format = .json
            $0.json = JSONFeedMapping(
                items: try JSONPath(parsing: "$.provinces[*]"),
                labels: [("province_code", try JSONPath(parsing: "$.province_code"))],
                metrics: [
                    ("dossiers_received", try JSONPath(parsing: "$.received")),
                    ("dossiers_online", try JSONPath(parsing: "$['submitted_online']")),
                ])
        }
        let result = await Prober(client: client).probe(feed)
        #expect(result.success, "\(String(describing: result.failure))")
        #expect(result.feedSamples.count == 10)
        let samples = result.samples(for: feed)
        #expect(value(samples, "dossiers_received", ("province_code", "79")).map { $0 > 0 } == true)
        await client.shutdown()
        await simulator.stop()
    }

    @Test(arguments: [
        ("truncated", "parse", "line 2"), ("bad-escape", "parse", "bad escape"),
        ("duplicate", "parse", "duplicate series"),
        ("garbage", "parse", "line"), ("huge", "body_too_large", "bytes"),
    ])
    func aMalformedFeedIsAnErrorAndUp0(fixture: String, reason: String, detail: String) async throws {
        let simulator = try await Simulator(world: .demo())
        let client = HTTPClient()
        let feed = target("\(simulator.baseURL)/test/feed/\(fixture)")
        let writer = ProbeSeriesWriter()
        let result = await Prober(client: client).probe(feed)
        let samples = writer.samples(for: feed, result)
        #expect(!result.success)
        #expect(result.failure?.reason == reason)
        #expect(result.failure?.message.contains(detail) == true, "\(String(describing: result.failure))")
        #expect(value(samples, "up") == 0)
        #expect(value(samples, "scrape_samples_scraped") == 0)
        #expect(writer.statistics.scrapesFailed == 1)
        await client.shutdown()
        await simulator.stop()
    }

    @Test func aMillionSeriesStopAtTheSampleLimit() async throws {
        let simulator = try await Simulator(world: .demo())
        let client = HTTPClient()
        // The limit is what is tested, not the speed: the simulator makes the 30 MB feed in under
        // 3 s on a quiet machine and took over 10 s beside the whole suite and a probe farm.
        let feed = target("\(simulator.baseURL)/test/feed/huge", timeout: .seconds(60)) { (feed: inout FeedProbe) in
            feed.http.maxBodyBytes = 64 << 20
            feed.sampleLimit = 10_000
        }
        let result = await Prober(client: client).probe(feed)
        #expect(!result.success)
        #expect(result.failure?.reason == "parse")
        #expect(result.failure?.message.contains("more than 10000 samples") == true)
        #expect(result.feedSamples.isEmpty)
        await client.shutdown()
        await simulator.stop()
    }

    @Test func vanishedSeriesGoStale() throws {
        let feed = target("http://x/metrics")
        let writer = ProbeSeriesWriter()
        func result(_ names: [String], success: Bool = true) -> ProbeResult {
            var result = ProbeResult(
                timestamp: 1_000, durationSeconds: 0.01, success: success, degraded: false,
                failure: success ? nil : ProbeFailure(reason: "parse", message: "bad", severity: .critical),
                response: nil,
                outcomes: [])
            result.feedSamples = names.map {
                LabeledSample(labels: Labels([("__name__", $0)]), sample: Sample(timestamp: 1_000, value: 1))
            }
            return result
        }
        func stale(_ samples: [LabeledSample]) -> [String] {
            samples.filter { $0.sample.isStale }.compactMap { $0.labels.metric }.sorted()
        }
        #expect(stale(writer.samples(for: feed, result(["a", "b"]))).isEmpty)
        #expect(stale(writer.samples(for: feed, result(["a"]))) == ["b"])
        // A failed scrape ends every series it had.
        #expect(stale(writer.samples(for: feed, result([], success: false))) == ["a"])
        #expect(stale(writer.samples(for: feed, result(["a"]))) == ["probe_failed_due_to"])
    }
}

import Foundation
import IOCCore
import IOCHTTP
import IOCStore
import Logging
import Synchronization

/// Prometheus remote write 1.0: a `WriteRequest` protocol buffer, snappy-compressed. Both encoded
/// by hand: the messages are four small ones, and a snappy stream of literals is a valid one.
enum RemoteWriteEncoding {
    /// `WriteRequest { repeated TimeSeries timeseries = 1; }`, `TimeSeries { repeated Label labels = 1;
    /// repeated Sample samples = 2; }`, `Label { string name = 1; string value = 2; }`,
    /// `Sample { double value = 1; int64 timestamp = 2; }`.
    static func writeRequest(_ series: [Series]) -> [UInt8] {
        var request: [UInt8] = []
        for item in series {
            var message: [UInt8] = []
            // Labels sorted by name, as the protocol asks.
            for pair in item.labels.pairs.sorted(by: { $0.name < $1.name }) {
                var label: [UInt8] = []
                field(1, bytes: Array(pair.name.utf8), into: &label)
                field(2, bytes: Array(pair.value.utf8), into: &label)
                field(1, bytes: label, into: &message)
            }
            for sample in item.samples {
                var encoded: [UInt8] = [0x09]  // field 1, 64-bit
                withUnsafeBytes(of: sample.value.bitPattern.littleEndian) { encoded += $0 }
                encoded.append(0x10)  // field 2, varint
                varint(UInt64(bitPattern: sample.timestamp), into: &encoded)
                field(2, bytes: encoded, into: &message)
            }
            field(1, bytes: message, into: &request)
        }
        return request
    }

    private static func field(_ number: UInt64, bytes: [UInt8], into output: inout [UInt8]) {
        varint(number << 3 | 2, into: &output)
        varint(UInt64(bytes.count), into: &output)
        output += bytes
    }

    static func varint(_ value: UInt64, into output: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            output.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        output.append(UInt8(rest))
    }

    /// Snappy's block format with every byte a literal: the length, then literals of at most 64 KB.
    static func snappy(_ input: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        varint(UInt64(input.count), into: &output)
        var offset = 0
        while offset < input.count {
            let length = min(65_536, input.count - offset)
            let stored = length - 1
            if stored < 60 {
                output.append(UInt8(stored << 2))
            } else if stored < 256 {
                output += [60 << 2, UInt8(stored)]
            } else {
                output += [61 << 2, UInt8(stored & 0xFF), UInt8(stored >> 8)]
            }
            output += input[offset..<offset + length]
            offset += length
        }
        return output
    }
}

/// Pushes what iocd stores to a remote-write endpoint (a national Prometheus, VictoriaMetrics,
/// Mimir, Thanos). The store is the queue: every few seconds the samples committed since the last
/// push are read from it and sent in order, and how far the endpoint has received is kept in a file
/// beside the store, so an outage of the endpoint or a restart of iocd resumes where it stopped.
/// Retries back off from 1 s to a minute; an endpoint that refuses a batch (HTTP 4xx) does not get
/// it again; a backlog older than `maxLag` is skipped and counted. Runs on a thread of its own.
final class RemoteWriter: BackgroundWork {
    struct Statistics: Sendable {
        var samplesSent = 0
        var sendsFailed = 0
        var samplesDropped = 0
        var sentThrough: Int64 = 0
    }

    let url: String
    private let timeout: Duration
    private let headers: [(name: String, value: String)]
    private let writer: SampleWriter
    private let client: HTTPClient
    private let logger: Logger
    private let positionFile: String
    private let maxLag: Int64 = 2 * 3_600_000
    private let counters = Mutex(Statistics())
    private let thread = BackgroundThread(name: "ioc-remote-write")

    init(url: String, timeout: Duration, bearerToken: Secret?, writer: SampleWriter, client: HTTPClient, logger: Logger)
    {
        self.url = url
        self.timeout = timeout
        var headers = [
            (name: "Content-Type", value: "application/x-protobuf"), (name: "Content-Encoding", value: "snappy"),
            (name: "X-Prometheus-Remote-Write-Version", value: "0.1.0"), (name: "User-Agent", value: "iocd"),
        ]
        if let bearerToken { headers.append((name: "Authorization", value: "Bearer \(bearerToken.value)")) }
        self.headers = headers
        self.writer = writer
        self.client = client
        self.logger = logger
        positionFile = writer.path + ".remote-write-" + String(StableHash.fnv1a(url), radix: 16)
    }

    var statistics: Statistics { counters.withLock { $0 } }

    func start() { thread.start { [self] thread in loop(thread) } }

    /// Stops after the batch in flight; the position file says where to resume.
    func stop() async { await thread.stop() }

    private func loop(_ thread: BackgroundThread) {
        var sentThrough =
            (try? String(contentsOfFile: positionFile, encoding: .utf8)).flatMap {
                Int64($0.trimmingCharacters(in: .whitespacesAndNewlines))
            } ?? WallClock.nowMilliseconds() - 60_000
        counters.withLock { $0.sentThrough = sentThrough }
        var backoff: Int64 = 1_000
        var failing = false
        var reader: StoreReader?
        var wait: Int64 = 5_000
        repeat {
            wait = 5_000
            // Samples up to a few seconds ago: the writer commits about once a second.
            let through = WallClock.nowMilliseconds() - 3_000
            if through - sentThrough > maxLag {
                logger.error("remote write is more than 2h behind; skipping ahead", metadata: ["url": "\(url)"])
                sentThrough = through - maxLag
            }
            if through > sentThrough {
                do {
                    if reader == nil { reader = try writer.makeReader() }
                    let series =
                        try reader?.select(
                            [try LabelMatcher(Labels.metricName, .matchesRegex, ".+")], from: sentThrough + 1,
                            through: through
                        )
                        .filter { !$0.samples.isEmpty } ?? []
                    try send(series)
                    sentThrough = through
                    try? String(sentThrough).write(toFile: positionFile, atomically: true, encoding: .utf8)
                    counters.withLock { $0.sentThrough = sentThrough }
                    if failing { logger.notice("remote write delivers again", metadata: ["url": "\(url)"]) }
                    failing = false
                    backoff = 1_000
                } catch let error as Refused {
                    logger.error(
                        "remote write refused a batch; it is dropped",
                        metadata: ["url": "\(url)", "error": "\(error.message)"])
                    counters.withLock { $0.samplesDropped += error.samples }
                    sentThrough = through
                    try? String(sentThrough).write(toFile: positionFile, atomically: true, encoding: .utf8)
                } catch {
                    counters.withLock { $0.sendsFailed += 1 }
                    if !failing {
                        logger.warning(
                            "remote write failed; retrying with backoff",
                            metadata: ["url": "\(url)", "error": "\(error)"])
                    }
                    failing = true
                    wait = backoff
                    backoff = min(60_000, backoff * 2)
                }
            }
        } while thread.pause(milliseconds: wait)
    }

    struct Refused: Error {
        var message: String
        var samples: Int
    }

    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends in batches of at most 5,000 samples, series whole, in order.
    private func send(_ series: [Series]) throws {
        var batch: [Series] = []
        var count = 0
        func flush() throws {
            guard !batch.isEmpty else { return }
            try post(batch, samples: count)
            counters.withLock { $0.samplesSent += count }
            batch = []
            count = 0
        }
        for item in series {
            batch.append(item)
            count += item.samples.count
            if count >= 5_000 { try flush() }
        }
        try flush()
    }

    private func post(_ series: [Series], samples: Int) throws {
        let body = RemoteWriteEncoding.snappy(RemoteWriteEncoding.writeRequest(series))
        let answer = client.performWaiting(
            HTTPRequest(
                url: url, method: "POST", headers: headers, body: body, timeout: timeout, followRedirects: false))
        guard let status = answer.status else {
            throw Failed(description: "no answer: \(answer.failure.map { "\($0)" } ?? "")")
        }
        if (200..<300).contains(status) { return }
        let text = String(decoding: answer.body.prefix(300), as: UTF8.self)
        if (400..<500).contains(status) && status != 429 {
            throw Refused(message: "HTTP \(status): \(text)", samples: samples)
        }
        throw Failed(description: "HTTP \(status): \(text)")
    }
}

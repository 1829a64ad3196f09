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

    /// Snappy's block format (what remote write's `Content-Encoding: snappy` is), compressed as the
    /// reference encoder does: the input in fragments of 64 KiB, each searched for repeats of four
    /// bytes or more through a hash table, which become copies; the rest are literals. A remote-write
    /// request repeats label names and values series after series, so copies carry most of it.
    static func snappy(_ input: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 2 + 16)
        varint(UInt64(input.count), into: &output)
        var table = [Int32](repeating: -1, count: 1 << 14)
        var fragment = 0
        input.withUnsafeBufferPointer { bytes in
            while fragment < bytes.count {
                let end = min(bytes.count, fragment + 65_536)
                for index in table.indices { table[index] = -1 }
                compressFragment(bytes, from: fragment, to: end, table: &table, into: &output)
                fragment = end
            }
        }
        return output
    }

    private static func load32(_ bytes: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    private static func compressFragment(
        _ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, table: inout [Int32],
        into output: inout [UInt8]
    ) {
        var nextEmit = start
        var index = start
        while index + 4 <= end {
            let word = load32(bytes, index)
            let slot = Int((word &* 0x1E35_A7BD) >> 18)
            let candidate = Int(table[slot])
            table[slot] = Int32(index)
            guard candidate >= start, load32(bytes, candidate) == word else {
                index += 1
                continue
            }
            var length = 4
            while index + length < end && bytes[candidate + length] == bytes[index + length] { length += 1 }
            literal(bytes, from: nextEmit, to: index, into: &output)
            copy(offset: index - candidate, length: length, into: &output)
            index += length
            nextEmit = index
        }
        literal(bytes, from: nextEmit, to: end, into: &output)
    }

    /// Literals of at most 64 KiB each: the length (in the tag, or in the bytes after it), then the bytes.
    private static func literal(
        _ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, into output: inout [UInt8]
    ) {
        var offset = start
        while offset < end {
            let length = min(65_536, end - offset)
            let stored = length - 1
            if stored < 60 {
                output.append(UInt8(stored << 2))
            } else if stored < 256 {
                output += [60 << 2, UInt8(stored)]
            } else {
                output += [61 << 2, UInt8(stored & 0xFF), UInt8(stored >> 8)]
            }
            output += bytes[offset..<offset + length]
            offset += length
        }
    }

    /// A copy of `length` bytes from `offset` back (under 64 KiB): 1-byte-offset copies for short
    /// near ones, 2-byte ones of at most 64 bytes otherwise, as the reference encoder splits them.
    private static func copy(offset: Int, length: Int, into output: inout [UInt8]) {
        var rest = length
        func copy2(_ count: Int) {
            output += [UInt8((count - 1) << 2 | 2), UInt8(offset & 0xFF), UInt8(offset >> 8)]
            rest -= count
        }
        while rest >= 68 { copy2(64) }
        if rest > 64 { copy2(60) }
        if rest >= 4 && rest <= 11 && offset < 2048 {
            output += [UInt8((offset >> 8) << 5 | (rest - 4) << 2 | 1), UInt8(offset & 0xFF)]
        } else {
            copy2(rest)
        }
    }
}

/// Pushes what iocd stores to a remote-write endpoint (a national Prometheus, VictoriaMetrics,
/// Mimir, Thanos). The store is the queue: every few seconds the samples committed since the last
/// push, up to the oldest time a probe in flight or a rule group may still stamp one with
/// (`SampleFloors`), are read from it and sent in order, a slice of `slice` milliseconds per
/// request, and how far the endpoint has received is kept in a file beside the store after each
/// slice. An outage of the endpoint or a restart of iocd resumes at the first slice not received,
/// and a slice is sent whole or not at all, so nothing is sent twice. Retries back off from 1 s to
/// 5 s (Prometheus' max_backoff), so that a receiver back from an outage hears within seconds; the
/// backlog then goes at most `catchUpRequests` requests a second. A slice the endpoint refuses for
/// good (HTTP 4xx but 429) is counted and skipped; a backlog older than `maxLag` is skipped and
/// counted. iocd.yaml's `external_labels` go on every series sent (a series' own label of that name
/// wins, as in Prometheus), then `write_relabel_configs`. Runs on a thread of its own.
final class RemoteWriter: BackgroundWork {
    struct Statistics: Sendable {
        var samplesSent = 0
        var sendsFailed = 0
        var samplesDropped = 0
        var sentThrough: Int64 = 0
        var bytesSent = 0
        var requests = 0
    }

    let url: String
    private let timeout: Duration
    private let headers: [(name: String, value: String)]
    private let writer: SampleWriter
    private let client: HTTPClient
    private let logger: Logger
    private let positionFile: String
    private let maxLag: Int64 = 2 * 3_600_000
    private let externalLabels: [(name: String, value: String)]
    /// The time one request covers: 15 s, a few thousand samples for a province's centre.
    private let slice: Int64 = 15_000
    private let catchUpRequests = 20
    private let counters = Mutex(Statistics())
    private let thread = BackgroundThread(name: "ioc-remote-write")
    private let floors: SampleFloors
    /// `write_relabel_configs`, applied after the external labels.
    private let relabel: [RelabelRule]

    init(
        url: String, timeout: Duration, bearerToken: Secret?, relabel: [RelabelRule] = [],
        externalLabels: [String: String] = [:],
        writer: SampleWriter, floors: SampleFloors = SampleFloors(), client: HTTPClient, logger: Logger
    ) {
        self.url = url
        self.relabel = relabel
        self.floors = floors
        self.externalLabels = externalLabels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
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
            // Up to the oldest time a probe in flight or a rule group may still stamp a sample with
            // (a slow probe is stamped when it was due and written when it ends), and a second ago for
            // what is stamped as it is written; then everything handed to the writer is committed.
            let now = WallClock.nowMilliseconds()
            let through = min(now - 1_000, (floors.lowest ?? now) - 1)
            guard writer.flush(within: .seconds(30)) else { continue }
            if through - sentThrough > maxLag {
                logger.error("remote write is more than 2h behind; skipping ahead", metadata: ["url": "\(url)"])
                sentThrough = through - maxLag
            }
            var requests = 0
            while through > sentThrough && !thread.isStopping {
                // A slice at a time, the position kept after each: a retry resends only what failed.
                let sliceEnd = min(through, sentThrough + slice)
                do {
                    if reader == nil { reader = try writer.makeReader() }
                    let series =
                        try reader?.select(
                            [try LabelMatcher(Labels.metricName, .matchesRegex, ".+")], from: sentThrough + 1,
                            through: sliceEnd
                        )
                        .filter { !$0.samples.isEmpty } ?? []
                    try post(series)
                    sentThrough = sliceEnd
                    try? String(sentThrough).write(toFile: positionFile, atomically: true, encoding: .utf8)
                    counters.withLock { $0.sentThrough = sentThrough }
                    if failing { logger.notice("remote write delivers again", metadata: ["url": "\(url)"]) }
                    failing = false
                    backoff = 1_000
                } catch let error as Refused {
                    logger.error(
                        "remote write refused a slice; it is dropped",
                        metadata: ["url": "\(url)", "error": "\(error.message)"])
                    counters.withLock { $0.samplesDropped += error.samples }
                    sentThrough = sliceEnd
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
                    backoff = min(5_000, backoff * 2)
                    break
                }
                requests += 1
                // Catching up: at most `catchUpRequests` a second, so as not to flood the receiver.
                if through > sentThrough && requests % catchUpRequests == 0 && !thread.pause(milliseconds: 1_000) {
                    return
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

    /// One request: the series with the external labels they lack, then relabelled, all of a
    /// slice's samples. What the relabelling drops is not sent (and not counted as sent).
    private func post(_ series: [Series]) throws {
        let labelled = series.compactMap { item -> Series? in
            var item = item
            let missing = externalLabels.filter { item.labels[$0.name] == nil }
            if !missing.isEmpty { item.labels = Labels(item.labels.pairs.map { ($0.name, $0.value) } + missing) }
            if !relabel.isEmpty {
                guard let relabelled = RelabelRule.apply(relabel, to: item.labels) else { return nil }
                item.labels = relabelled
            }
            return item
        }
        guard !labelled.isEmpty else { return }
        let samples = labelled.reduce(0) { $0 + $1.samples.count }
        let body = RemoteWriteEncoding.snappy(RemoteWriteEncoding.writeRequest(labelled))
        let answer = client.performWaiting(
            HTTPRequest(
                url: url, method: "POST", headers: headers, body: body, timeout: timeout, followRedirects: false))
        guard let status = answer.status else {
            throw Failed(description: "no answer: \(answer.failure.map { "\($0)" } ?? "")")
        }
        if (200..<300).contains(status) {
            counters.withLock {
                $0.samplesSent += samples
                $0.bytesSent += body.count
                $0.requests += 1
            }
            return
        }
        let text = String(decoding: answer.body.prefix(300), as: UTF8.self)
        if (400..<500).contains(status) && status != 429 {
            throw Refused(message: "HTTP \(status): \(text)", samples: samples)
        }
        throw Failed(description: "HTTP \(status): \(text)")
    }
}

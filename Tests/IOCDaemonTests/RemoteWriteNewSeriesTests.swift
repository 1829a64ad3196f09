import Foundation
import IOCCore
@testable import IOCDaemon
import IOCHTTP
import IOCStore
import Logging
import Synchronization
import TestSupport
import Testing

/// Series born while remote write runs: every sample the store holds is sent, the first samples of
/// a new series too, whatever a round's read finds of it (its row committed, its samples in memory,
/// another reader having made it a ring of recent samples), with probes holding remote write back
/// while they are in flight. (The national test once seemed to show new series lost on the way;
/// they were lines of VictoriaMetrics' export the test could not read, see
/// `VictoriaMetricsStalenessTests`, but the sender's side is pinned here.)
@Suite struct RemoteWriteNewSeriesTests {
    @Test func everyNewSeriesIsSentWithItsFirstSamples() async throws {
        let directory = try TemporaryDirectory()
        let sink = try WebhookSink(port: 0)
        defer { sink.stop() }
        let writer = try SampleWriter(path: directory.file("ioc.db"), flushInterval: .milliseconds(200))
        let floors = SampleFloors()
        let remote = RemoteWriter(
            url: "http://127.0.0.1:\(sink.port)/api/v1/write", timeout: .seconds(5), bearerToken: nil,
            writer: writer, floors: floors, client: HTTPClient(maxInFlight: 2), logger: Logger(label: "test"))
        remote.start()
        // Producers as iocd has them: probes stamped when due and written when they end (a floor
        // holds remote write back meanwhile), a rule reading the last minutes of every series (which
        // gives each a ring of recent samples), and new series every few hundred milliseconds.
        let due = Mutex<(quick: Int64?, slow: Int64?)>((nil, nil))
        let floor = floors.add {
            due.withLock { due in [due.quick, due.slow].compactMap { $0 }.min() }
        }
        let started = WallClock.nowMilliseconds()
        // A target that takes three seconds to answer, a new failure reason each time: three
        // probes, counted rather than timed, so that a loaded machine still has them all.
        let slowProbes = 3
        let slowDone = Atomic(false)
        let slow = Task {
            defer { slowDone.store(true, ordering: .relaxed) }
            for probe in 1...slowProbes {
                let stamp = WallClock.nowMilliseconds()
                due.withLock { $0.slow = stamp }
                try await Task.sleep(for: .milliseconds(3_000))
                writer.append(
                    ["slow", "slow \(probe)"].map { reason in
                        LabeledSample(
                            labels: Labels(["__name__": "probe_failed_due_to", "reason": reason]),
                            sample: Sample(timestamp: stamp, value: 1))
                    })
                due.withLock { $0.slow = nil }
                try await Task.sleep(for: .milliseconds(Int64.random(in: 0...500)))
            }
        }
        let reader = try writer.makeReader()
        let selectAll = try LabelMatcher(Labels.metricName, .matchesRegex, ".+")
        var born = 0
        var round = 0
        // Rounds until the slow probes are done, thirty at least (ten new series).
        while !slowDone.load(ordering: .relaxed) || round < 30 {
            let now = WallClock.nowMilliseconds()
            due.withLock { $0.quick = now }
            round += 1
            if round % 3 == 0 { born += 1 }
            var batch: [LabeledSample] = (0..<50).map { index in
                LabeledSample(
                    labels: Labels(["__name__": "probe_success", "instance": "i\(index)"]),
                    sample: Sample(timestamp: now, value: 1))
            }
            for series in max(0, born - 4)..<born {
                batch.append(
                    LabeledSample(
                        labels: Labels(["__name__": "probe_failed_due_to", "reason": "r\(series)"]),
                        sample: Sample(timestamp: now, value: Double(round))))
            }
            try await Task.sleep(for: .milliseconds(Int64.random(in: 0...150)))
            writer.append(batch)
            due.withLock { $0.quick = nil }
            _ = try reader.select([selectAll], from: now - 300_000, through: now)
            try await Task.sleep(for: .milliseconds(Int64.random(in: 0...150)))
        }
        try await slow.value
        floors.remove(floor)
        await writer.flush()
        let last = WallClock.nowMilliseconds()
        let caughtUp = await waitUntil(timeout: .seconds(30)) { remote.statistics.sentThrough >= last }
        await remote.stop()
        #expect(
            caughtUp,
            """
            remote write's position \(remote.statistics.sentThrough), the last sample \(last), \
            \(remote.statistics.sendsFailed) sends failed; \(sink.diagnosis)
            """)

        var sent: [String: [Int64]] = [:]
        for body in sink.bodies {
            let request = try #require(SnappyTests.decode(body))
            for (labels, stamps) in try WriteRequestReading.series(request) {
                sent[labels.description, default: []] += stamps
            }
        }
        let stored = try StoreReader(path: directory.file("ioc.db")).select(
            [selectAll], from: started - 1, through: last)
        #expect(stored.count == 50 + born + 1 + slowProbes)
        var missing: [String] = []
        for series in stored {
            let wanted = series.samples.map(\.timestamp)
            let got = (sent[series.labels.description] ?? []).sorted()
            if got != wanted {
                missing.append(
                    "\(series.labels): stored \(wanted.count) \(wanted.prefix(3)), sent \(got.count) \(got.prefix(3))")
            }
        }
        #expect(missing.isEmpty, "\(missing.count) series not sent as stored: \(missing.prefix(5))")
        await writer.close()
    }
}

/// Reads a remote-write request back: each series' labels and its samples' timestamps.
enum WriteRequestReading {
    struct Malformed: Error {}

    static func series(_ bytes: [UInt8]) throws -> [(Labels, [Int64])] {
        var result: [(Labels, [Int64])] = []
        try fields(bytes[...]) { number, payload in
            guard number == 1, let payload else { return }
            var pairs: [(String, String)] = []
            var stamps: [Int64] = []
            try fields(payload) { number, part in
                guard let part else { return }
                if number == 1 {
                    var name = "", value = ""
                    try fields(part) { field, text in
                        if field == 1 { name = String(decoding: text ?? [], as: UTF8.self) }
                        if field == 2 { value = String(decoding: text ?? [], as: UTF8.self) }
                    }
                    pairs.append((name, value))
                } else if number == 2 {
                    var index = part.startIndex
                    while index < part.endIndex {
                        let key = part[index]
                        index += key & 7 == 1 ? 9 : 1
                        if key == 0x10 { stamps.append(Int64(bitPattern: try varint(part, &index))) }
                    }
                }
            }
            result.append((Labels(pairs), stamps))
        }
        return result
    }

    /// Calls `body` with each field's number and, for a length-delimited one, its bytes.
    private static func fields(_ bytes: ArraySlice<UInt8>, _ body: (UInt64, ArraySlice<UInt8>?) throws -> Void) throws {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let key = try varint(bytes, &index)
            switch key & 7 {
            case 0: try body(key >> 3, nil); _ = try varint(bytes, &index)
            case 1: try body(key >> 3, nil); index += 8
            case 2:
                let length = Int(try varint(bytes, &index))
                guard index + length <= bytes.endIndex else { throw Malformed() }
                try body(key >> 3, bytes[index..<index + length])
                index += length
            default: throw Malformed()
            }
        }
    }

    /// A protocol buffers varint at `index`, which it moves past it.
    static func varint(_ bytes: ArraySlice<UInt8>, _ index: inout Int) throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.endIndex {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        throw Malformed()
    }
}

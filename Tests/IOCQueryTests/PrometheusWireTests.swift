import Foundation
import IOCCore
import IOCQuery
import Testing

/// What iocd writes is what the remote client reads: the wire types' JSON decodes back to the value.
@Suite struct PrometheusWireTests {
    func roundTrip(_ json: String) throws -> QueryValue {
        let envelope = #"{"status":"success","data":"# + json + "}"
        let response = try JSONDecoder().decode(
            PrometheusWire.Response<PrometheusWire.QueryData>.self, from: Data(envelope.utf8))
        #expect(response.status == "success")
        return try #require(response.data).value()
    }

    @Test func vectorsMatricesAndScalarsComeBackAsTheyWent() throws {
        let labels = Labels([("__name__", "up"), ("province", "Huế \"quoted\"\n\u{1b}[31m"), ("job", "a")])
        let vector = QueryValue.vector([
            VectorElement(labels: labels, value: 0.25, timestamp: 1_795_046_400_123),
            VectorElement(labels: Labels([("job", "b")]), value: .infinity, timestamp: 1_795_046_400_123),
        ])
        guard case .vector(let back) = try roundTrip(PrometheusWire.QueryData.json(vector, at: 1_795_046_400_123))
        else {
            Issue.record("not a vector")
            return
        }
        #expect(back.map(\.labels) == [labels, Labels([("job", "b")])])
        #expect(back.map(\.value) == [0.25, .infinity])
        #expect(back.allSatisfy { $0.timestamp == 1_795_046_400_123 })

        let series = [
            Series(
                labels: labels, samples: [Sample(timestamp: 1000, value: -1.5), Sample(timestamp: 61_000, value: .nan)])
        ]
        guard case .matrix(let matrix) = try roundTrip(PrometheusWire.QueryData.json(series)) else {
            Issue.record("not a matrix")
            return
        }
        #expect(matrix.count == 1 && matrix[0].labels == labels)
        #expect(matrix[0].samples.map(\.timestamp) == [1000, 61_000])
        #expect(matrix[0].samples.first?.value == -1.5 && matrix[0].samples.last?.value.isNaN == true)

        guard case .scalar(let scalar) = try roundTrip(PrometheusWire.QueryData.json(.scalar(42), at: 5_000)) else {
            Issue.record("not a scalar")
            return
        }
        #expect(scalar == 42)
    }

    @Test func anErrorAnswerCarriesPrometheusMessage() throws {
        let text = #"{"status":"error","errorType":"bad_data","error":"parse error"}"#
        let response = try JSONDecoder().decode(
            PrometheusWire.Response<PrometheusWire.QueryData>.self, from: Data(text.utf8))
        #expect(response.status == "error" && response.data == nil && response.error == "parse error")
    }

    @Test func alertsComeBackAsTheyWent() throws {
        let alert = Alert(
            labels: Labels([("alertname", "ServiceDown"), ("province", "Huế")]),
            annotations: Labels([("summary", "dvc of Huế is down")]), state: .pending, activeAt: 1_795_046_400_500,
            value: 0)
        let json = PrometheusWire.Alerts([alert]).json
        let decoded = try JSONDecoder().decode(PrometheusWire.Alerts.self, from: Data(json.utf8))
        #expect(decoded.alerts.map(\.alert) == [alert])
    }
}

/// The answers' JSON is written into bytes; it is exactly what the text functions write, for any
/// text (quotes, backslashes, control characters, any script) and any number.
@Suite struct JSONBytesTests {
    /// A time as Prometheus' API writes it (`marshalTimestamp` in its web/api/v1): the whole seconds,
    /// then a point and three digits only when there is a fraction of a second.
    static func prometheusTime(_ milliseconds: Int64) -> String {
        let text = PrometheusNumber.formatTimestamp(milliseconds)
        return text.hasSuffix(".000") ? String(text.dropLast(4)) : text
    }

    @Test func bytesAreWhatTheTextFunctionsWrite() {
        var random = SplitMix64(seed: 9)
        let pieces = ["a", "Huế", "\"", "\\", "\n", "\r", "\t", "\u{1b}", "\u{0}", "\u{1f}", "\u{7f}", "😀", " ", "{}"]
        for _ in 0..<2_000 {
            let text = (0..<Int(random.next() % 8)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }
                .joined()
            var json = JSONBytes()
            json.string(text)
            #expect(json.text == PrometheusWire.json(text), "\(Array(text.unicodeScalars))")
        }
        let bits = (0..<2_000).map { _ in random.next() }
        let values: [Double] =
            [0, -0.0, 1, -1, 0.1, 1e15, 1e15 - 1, -1e15, 1e-7, 123_456.789, .infinity, -.infinity, .nan, .pi, 1e300]
            + bits.map { Double(bitPattern: $0) } + bits.map { Double(Int64(bitPattern: $0) % 100_000) / 8 }
        let times: [Int64] = [0, -1, 999, 1_000, -1_001, 1_000_000_000_000_000, -9_000_000_000_000_000_000]
        for (index, value) in values.enumerated() {
            let time = index < times.count ? times[index] : Int64(bitPattern: random.next()) % 4_000_000_000_000
            var json = JSONBytes()
            json.point(time, value)
            let expected =
                "[" + JSONBytesTests.prometheusTime(time) + "," + PrometheusWire.json(PrometheusNumber.format(value))
                + "]"
            #expect(json.text == expected)
            var alone = JSONBytes()
            alone.timestamp(time)
            #expect(alone.text == JSONBytesTests.prometheusTime(time))
        }
    }

    /// One answer writes the same times again and again (every series of a range query), and times
    /// whose texts share a slot of the table it keeps them in: each point still has its own time.
    @Test func repeatedTimesAreEachWrittenAsTheirOwn() {
        var random = SplitMix64(seed: 31)
        let steps = (0..<700).map { Int64($0) * 15_000 + 1_796_560_000_000 } + [-1, 0, .max, .min + 1, 999]
        var json = JSONBytes()
        var expected = ""
        for _ in 0..<20 {
            for time in steps where random.next() % 3 != 0 {
                let value =
                    random.next() % 2 == 0 ? Double(random.next() % 1_000) : Double(random.next() % 1_000_000) / 7
                json.point(time, value)
                expected +=
                    "[" + JSONBytesTests.prometheusTime(time) + ","
                    + PrometheusWire.json(PrometheusNumber.format(value)) + "]"
            }
        }
        #expect(json.text == expected)
    }
}

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

    /// A value as Prometheus' API writes a point's (`marshalPointJSON`: Go's `strconv` with format
    /// 'f' from 1e-6 up to 1e21, 'e' beyond), or a scalar's (`fixed`: 'f' whatever the size), worked
    /// out in text from the shortest digits `description` gives.
    static func prometheusValue(_ value: Double, fixed: Bool = false) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        var text = value.magnitude.description
        var exponent = 0
        if let e = text.firstIndex(of: "e") {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        var digits = String(parts[0]) + (parts.count > 1 ? String(parts[1]) : "")
        var point = parts[0].count + exponent
        while digits.count > 1, digits.hasPrefix("0") {
            digits.removeFirst()
            point -= 1
        }
        while digits.count > 1, digits.hasSuffix("0") { digits.removeLast() }
        let sign = value < 0 ? "-" : ""
        if !fixed && (value.magnitude < 1e-6 || value.magnitude >= 1e21) {
            let power = point - 1
            let rest = digits.dropFirst()
            return sign + String(digits.prefix(1)) + (rest.isEmpty ? "" : "." + rest) + "e" + (power < 0 ? "-" : "+")
                + (power.magnitude < 10 ? "0" : "") + String(power.magnitude)
        }
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + digits }
        if point >= digits.count { return sign + digits + String(repeating: "0", count: point - digits.count) }
        return sign + String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
    }

    /// What Prometheus 2.42 wrote for these values, as points and as scalars (asked over HTTP).
    @Test func valuesAreWrittenAsPrometheusWritesThem() {
        let points: [(Double, String)] = [
            (1e-7, "1e-07"), (1e-6, "0.000001"), (0.0000012345, "0.0000012345"), (1e21, "1e+21"),
            (9.99e20, "999000000000000000000"), (1.5e300, "1.5e+300"), (-2.5e-10, "-2.5e-10"),
            (123_456_789_012_345_680, "123456789012345680"), (-0.0, "-0"), (.leastNonzeroMagnitude, "5e-324"),
            (.nan, "NaN"),
            (-.infinity, "-Inf"),
        ]
        for (value, text) in points {
            var json = JSONBytes()
            json.point(1_796_620_680_500, value)
            #expect(json.text == "[1796620680.500,\"\(text)\"]")
            #expect(JSONBytesTests.prometheusValue(value) == text)
        }
        let scalars: [(Int64, Double, String)] = [
            (1_796_620_680_500, 1e-7, "[1796620680.5,\"0.0000001\"]"),
            (1_796_620_680_123, 1e21, "[1796620680.123,\"1000000000000000000000\"]"),
            (1_796_620_680_000, -2.5e-10, "[1796620680,\"-0.00000000025\"]"),
            (1_796_620_680_120, 123_456_789_012_345_680, "[1796620680.12,\"123456789012345680\"]"),
            (0, .nan, "[0,\"NaN\"]"),
        ]
        for (time, value, text) in scalars {
            var json = JSONBytes()
            json.scalar(time, value)
            #expect(json.text == text)
        }
        var large = JSONBytes()
        large.scalar(1_000, 1.5e300)
        #expect(large.text == "[1,\"15" + String(repeating: "0", count: 299) + "\"]")
        var small = JSONBytes()
        small.scalar(1_000, -.leastNonzeroMagnitude)
        #expect(small.text == "[1,\"-0." + String(repeating: "0", count: 323) + "5\"]")
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
                "[" + JSONBytesTests.prometheusTime(time) + ",\"" + JSONBytesTests.prometheusValue(value) + "\"]"
            #expect(json.text == expected)
            var scalar = JSONBytes()
            scalar.scalar(time, value)
            let seconds = time % 1_000 == 0 ? JSONBytesTests.prometheusTime(time) : "\(Double(time) / 1_000)"
            #expect(scalar.text == "[" + seconds + ",\"" + JSONBytesTests.prometheusValue(value, fixed: true) + "\"]")
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
                    "[" + JSONBytesTests.prometheusTime(time) + ",\"" + JSONBytesTests.prometheusValue(value) + "\"]"
            }
        }
        #expect(json.text == expected)
    }
}

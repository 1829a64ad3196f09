import Foundation
public import IOCCore

/// Prometheus' HTTP API on the wire: what iocd answers, what `ioc query --json` prints, and what the
/// remote client (`ioc query --source`, `ioc dashboard --source`) reads back. One definition of each
/// shape; decoding is Codable's, and each type also writes its own JSON, because Foundation's
/// JSONEncoder neither writes Prometheus' numbers as Prometheus does (`1795046400.120`, `"+Inf"`)
/// nor keeps up with a query of ten thousand series.
public enum PrometheusWire {
    /// The envelope of every answer: `{"status":"success","data":...}` or an error.
    public struct Response<Payload: Decodable>: Decodable {
        public var status: String
        public var data: Payload?
        public var errorType: String?
        public var error: String?
    }

    /// `[1795046400.123,"0.25"]`: Unix seconds and the value as text.
    public struct Point: Codable, Sendable, Equatable {
        public var time: Int64
        public var value: Double

        public init(time: Int64, value: Double) {
            self.time = time
            self.value = value
        }

        public init(from decoder: any Decoder) throws {
            var pair = try decoder.unkeyedContainer()
            let seconds = try pair.decode(Double.self)
            let text = try pair.decode(String.self)
            // A remote server's times and values are input like any other: one beyond Int64 is no point.
            guard let milliseconds = Int64(exactly: (seconds * 1000).rounded()),
                let value = PrometheusNumber.parse(text)
            else {
                throw DecodingError.dataCorruptedError(in: pair, debugDescription: "not a time and a value")
            }
            time = milliseconds
            self.value = value
        }

        public func encode(to encoder: any Encoder) throws {
            var pair = encoder.unkeyedContainer()
            try pair.encode(Double(time) / 1000)
            try pair.encode(PrometheusNumber.format(value))
        }
    }

    /// One series of an instant vector, or of a matrix with its points.
    public struct Item: Codable, Sendable {
        public var metric: [String: String]
        public var value: Point?
        public var values: [Point]?

        public var labels: Labels { Labels(metric.map { ($0.key, $0.value) }) }
    }

    /// `data` of `/api/v1/query` and `/api/v1/query_range`.
    public struct QueryData: Codable, Sendable {
        public var resultType: String
        public var result: Result

        /// A scalar or string is a pair; a vector or matrix a list of series.
        public enum Result: Codable, Sendable {
            case pair(time: Double, text: String)
            case items([Item])

            public init(from decoder: any Decoder) throws {
                if var pair = try? decoder.unkeyedContainer(), let time = try? pair.decode(Double.self),
                    let text = try? pair.decode(String.self)
                {
                    self = .pair(time: time, text: text)
                } else {
                    self = .items(try decoder.singleValueContainer().decode([Item].self))
                }
            }

            public func encode(to encoder: any Encoder) throws {
                switch self {
                case .pair(let time, let text):
                    var pair = encoder.unkeyedContainer()
                    try pair.encode(time)
                    try pair.encode(text)
                case .items(let items):
                    var container = encoder.singleValueContainer()
                    try container.encode(items)
                }
            }
        }

        /// The value this answer holds, as a local evaluation at `time` gives it.
        public func value() throws -> QueryValue {
            switch (resultType, result) {
            case ("scalar", .pair(let time, let text)):
                guard let point = Self.point(time, text) else { throw WireError("a malformed scalar") }
                return .scalar(point.value)
            case ("string", .pair(_, let text)):
                return .string(text)
            case ("vector", .items(let items)):
                return .vector(
                    items.compactMap { item in
                        item.value.map { VectorElement(labels: item.labels, value: $0.value, timestamp: $0.time) }
                    })
            case ("matrix", .items(let items)):
                return .matrix(
                    items.map { item in
                        RangeSeries(
                            labels: item.labels,
                            samples: (item.values ?? []).map { Sample(timestamp: $0.time, value: $0.value) }[...])
                    })
            default:
                throw WireError("an answer of type \(resultType)")
            }
        }

        private static func point(_ seconds: Double, _ text: String) -> Point? {
            guard let time = Int64(exactly: (seconds * 1000).rounded()), let value = PrometheusNumber.parse(text)
            else { return nil }
            return Point(time: time, value: value)
        }

        /// The JSON of a query's `value` evaluated at `time`, as Prometheus writes it.
        public static func json(_ value: QueryValue, at time: Int64) -> String {
            var json = JSONBytes()
            write(value, at: time, into: &json)
            return json.text
        }

        public static func write(_ value: QueryValue, at time: Int64, into json: inout JSONBytes) {
            switch value {
            case .scalar(let number):
                json.raw(#"{"resultType":"scalar","result":"#)
                json.scalar(time, number)
                json.raw("}")
            case .string(let text):
                json.raw(#"{"resultType":"string","result":["#)
                json.floatTime(time)
                json.raw(",")
                json.string(text)
                json.raw("]}")
            case .vector(let elements):
                json.reserve(elements.count * 160)
                json.raw(#"{"resultType":"vector","result":["#)
                for (position, element) in elements.enumerated() {
                    json.raw(position == 0 ? #"{"metric":"# : #",{"metric":"#)
                    json.labels(element.labels)
                    json.raw(#","value":"#)
                    json.point(time, element.value)
                    json.raw("}")
                }
                json.raw("]}")
            case .matrix(let series): write(series.map(\.series), into: &json)
            }
        }

        /// The JSON of a range query's series.
        public static func json(_ series: [Series]) -> String {
            var json = JSONBytes()
            write(series, into: &json)
            return json.text
        }

        public static func write(_ series: [Series], into json: inout JSONBytes) {
            json.reserve(series.reduce(0) { $0 + 128 + $1.samples.count * 32 })
            json.raw(#"{"resultType":"matrix","result":["#)
            for (position, item) in series.enumerated() {
                json.raw(position == 0 ? #"{"metric":"# : #",{"metric":"#)
                json.labels(item.labels)
                json.raw(#","values":["#)
                for (index, sample) in item.samples.enumerated() {
                    if index > 0 { json.raw(",") }
                    json.point(sample.timestamp, sample.value)
                }
                json.raw("]}")
            }
            json.raw("]}")
        }
    }

    /// One alert of `/api/v1/alerts`.
    public struct Alert: Codable, Sendable {
        public var labels: [String: String]
        public var annotations: [String: String]
        public var state: String
        public var activeAt: String
        public var value: String

        public init(_ alert: IOCCore.Alert) {
            labels = Dictionary(alert.labels.pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
            annotations = Dictionary(
                alert.annotations.pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
            state = alert.state.rawValue
            activeAt = UTCTime.rfc3339(alert.activeAt)
            // Go's 'e' format, as Prometheus writes it (`1e+00`); PrometheusNumber.parse reads it back.
            value = JSONBytes.scientific(alert.value)
        }

        /// The alert this item describes; a state this version does not know counts as firing.
        public var alert: IOCCore.Alert {
            IOCCore.Alert(
                labels: Labels(labels.map { ($0.key, $0.value) }),
                annotations: Labels(annotations.map { ($0.key, $0.value) }),
                state: AlertState(rawValue: state) ?? .firing, activeAt: UTCTime.parseRFC3339(activeAt) ?? 0,
                value: PrometheusNumber.parse(value) ?? .nan)
        }

        var json: String {
            #"{"labels":\#(PrometheusWire.json(Labels(labels.map { ($0.key, $0.value) }))),"#
                + #""annotations":\#(PrometheusWire.json(Labels(annotations.map { ($0.key, $0.value) }))),"#
                + #""state":\#(PrometheusWire.json(state)),"activeAt":\#(PrometheusWire.json(activeAt)),"#
                + #""value":\#(PrometheusWire.json(value))}"#
        }
    }

    /// `data` of `/api/v1/alerts`.
    public struct Alerts: Codable, Sendable {
        public var alerts: [Alert]

        public init(_ alerts: [IOCCore.Alert]) { self.alerts = alerts.map(Alert.init) }

        public var json: String { #"{"alerts":"# + list + "}" }
        /// The alerts alone, as a rule of `/api/v1/rules` lists its own.
        public var list: String { "[" + alerts.map(\.json).joined(separator: ",") + "]" }
    }

    public struct WireError: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// A JSON string.
    public static func json(_ text: String) -> String {
        ControlCharacters.quoted(text, escaping: { $0.value < 0x20 })
    }

    /// A label set as a JSON object, in the set's order.
    public static func json(_ labels: Labels) -> String {
        "{" + labels.pairs.map { "\(json($0.name)):\(json($0.value))" }.joined(separator: ",") + "}"
    }
}

import Foundation
public import IOCCore

/// A metrics feed to scrape: the request settings of an HTTP probe, the format, and for JSON the
/// mapping from fields to series.
public struct FeedProbe: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        /// Chosen from the Content-Type: OpenMetrics if it says so, JSON if a mapping is given and the
        /// body is JSON, else the Prometheus text format.
        case auto
        case prometheus
        case openMetrics = "openmetrics"
        case json
    }

    public var http: HTTPProbe
    public var format: Format = .auto
    public var json: JSONFeedMapping?
    /// A scrape with more samples than this fails whole (`up 0`), as in Prometheus.
    public var sampleLimit = 50_000

    public init(url: String) {
        http = HTTPProbe(url: url)
        http.maxBodyBytes = 16 << 20
        http.headers = [
            (
                name: "Accept",
                value:
                    "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,application/json;q=0.4,*/*;q=0.1"
            )
        ]
    }
}

/// How a JSON document becomes series: `items` selects the elements (one per province, say), `labels`
/// and `metrics` name fields of each element.
///
/// ```yaml
/// json:
///   items: '$.provinces[*]'
///   labels: { province: '$.province', province_code: '$.province_code' }
///   metrics: { ioc_dossiers_received: '$.received' }
/// ```
public struct JSONFeedMapping: Sendable {
    public var items: JSONPath?
    public var labels: [(name: String, path: JSONPath)]
    public var metrics: [(name: String, path: JSONPath)]

    public init(items: JSONPath?, labels: [(name: String, path: JSONPath)], metrics: [(name: String, path: JSONPath)]) {
        self.items = items
        self.labels = labels
        self.metrics = metrics
    }

    /// The series of a parsed document. Fields that are missing or not numbers are skipped; a label
    /// that is missing is left out.
    public func samples(from document: Any, timestamp: Int64, sampleLimit: Int) throws(FeedError) -> [LabeledSample] {
        let elements = items.map { $0.select(in: document) } ?? [document]
        var samples: [LabeledSample] = []
        var seen = Set<Labels>()
        for element in elements {
            var pairs: [(String, String)] = []
            for (name, path) in labels {
                guard let value = path.select(in: element).first else { continue }
                switch value {
                case let text as String: pairs.append((name, text))
                case let number as NSNumber: pairs.append((name, number.stringValue))
                default: continue
                }
            }
            let base = Labels(pairs)
            for (name, path) in metrics {
                guard let value = path.select(in: element).first.flatMap(JSONFeedMapping.number) else { continue }
                guard samples.count < sampleLimit else {
                    throw FeedError("more than \(sampleLimit) samples (the feed's sample_limit)")
                }
                let labels = base.withMetricName(name)
                guard seen.insert(labels).inserted else {
                    throw FeedError("duplicate series \(labels): add a label that tells the items apart")
                }
                samples.append(LabeledSample(labels: labels, sample: Sample(timestamp: timestamp, value: value)))
            }
        }
        return samples
    }

    static func number(_ value: Any) -> Double? {
        switch value {
        case let number as NSNumber where String(cString: number.objCType) == "c": return number.boolValue ? 1 : 0
        case let number as NSNumber: return number.doubleValue
        case let text as String: return Double(text)
        default: return nil
        }
    }
}

/// A feed that could not be read, in words for the log.
public struct FeedError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public import IOCCore

/// Series held in memory: the store of a promqltest script, of rule unit tests, and of tests.
public final class MemorySeriesSource: SeriesSource {
    /// Each series by its labels' fingerprint (hashing labels as strings normalises every one of
    /// them; rules add a thousand series to one of these at every evaluation).
    private var series: [Fingerprint: (labels: Labels, samples: [Sample])] = [:]
    /// The series of each metric name: a selector that names its metric (nearly all do) looks at
    /// those only, not at every series held.
    private var byName: [String: [Fingerprint]] = [:]

    public init() {}

    /// Adds samples to a series (kept in time order; a sample at an existing time replaces it).
    public func add(_ labels: Labels, _ samples: [Sample]) {
        let key = labels.fingerprint
        guard var all = series.removeValue(forKey: key)?.samples else {
            byName[labels.metric ?? "", default: []].append(key)
            series[key] = (labels, [])
            return add(labels, samples)
        }
        for sample in samples {
            // Samples mostly come in time order: appended; otherwise put in place.
            if let last = all.last, last.timestamp >= sample.timestamp {
                all.removeAll { $0.timestamp == sample.timestamp }
                let index = all.firstIndex { $0.timestamp > sample.timestamp } ?? all.endIndex
                all.insert(sample, at: index)
            } else {
                all.append(sample)
            }
        }
        series[key] = (labels, all)
    }

    public func clear() {
        series = [:]
        byName = [:]
    }

    public func select(_ matchers: [LabelMatcher], from start: Int64, through end: Int64) throws -> [Series] {
        let candidates: [Fingerprint]
        if let name = matchers.first(where: { $0.name == Labels.metricName && $0.op == .equal }) {
            candidates = byName[name.value] ?? []
        } else {
            candidates = Array(series.keys)
        }
        return candidates.compactMap { key in
            guard let (labels, samples) = series[key], matchers.allSatisfy({ $0.matches(labels) }) else { return nil }
            let first = samples.partitioningIndex { $0.timestamp >= start }
            let past = samples.partitioningIndex { $0.timestamp > end }
            return Series(labels: labels, samples: first < past ? Array(samples[first..<past]) : [])
        }
        .sorted { $0.labels < $1.labels }
    }
}

public import IOCCore

/// Series held in memory: the store of a promqltest script, of rule unit tests, and of tests.
public final class MemorySeriesSource: SeriesSource {
    /// Each series by its labels' fingerprint (hashing labels as strings normalises every one of
    /// them; rules add a thousand series to one of these at every evaluation).
    private var series: [Fingerprint: (labels: Labels, samples: [Sample])] = [:]
    /// The series of each metric name: a selector that names its metric (nearly all do) looks at
    /// those only, not at every series held.
    private var byName: [String: Names] = [:]

    /// A metric name's series, and whether they were added in label order (rules give them so),
    /// so that a selection need not sort them.
    private struct Names {
        var keys: [Fingerprint] = []
        var last = Labels()
        var ordered = true

        mutating func add(_ key: Fingerprint, _ labels: Labels) {
            if !keys.isEmpty && !(last < labels) { ordered = false }
            keys.append(key)
            last = labels
        }
    }

    public init() {}

    /// Adds samples to a series (kept in time order; a sample at an existing time replaces it).
    public func add(_ labels: Labels, _ samples: [Sample]) {
        add(labels, fingerprint: labels.fingerprint, samples)
    }

    /// `add(_:_:)` for a caller that has the labels' fingerprint already.
    public func add(_ labels: Labels, fingerprint key: Fingerprint, _ samples: [Sample]) {
        guard let index = series.index(forKey: key) else {
            byName[labels.metric ?? "", default: Names()].add(key, labels)
            if zip(samples, samples.dropFirst()).allSatisfy({ $0.timestamp < $1.timestamp }) {
                series[key] = (labels, samples)
            } else {
                series[key] = (labels, [])
                add(labels, fingerprint: key, samples)
            }
            return
        }
        // In place: the samples array is not copied for each sample added.
        series.values[index].samples.reserveCapacity(series.values[index].samples.count + samples.count)
        for sample in samples {
            // Samples mostly come in time order: appended; otherwise put in place.
            if let last = series.values[index].samples.last, last.timestamp >= sample.timestamp {
                series.values[index].samples.removeAll { $0.timestamp == sample.timestamp }
                let position =
                    series.values[index].samples.firstIndex { $0.timestamp > sample.timestamp }
                    ?? series.values[index].samples.endIndex
                series.values[index].samples.insert(sample, at: position)
            } else {
                series.values[index].samples.append(sample)
            }
        }
    }

    public func clear() {
        series = [:]
        byName = [:]
    }

    public func select(_ matchers: [LabelMatcher], from start: Int64, through end: Int64) throws -> [Series] {
        let candidates: [Fingerprint]
        var ordered = false
        if let name = matchers.first(where: { $0.name == Labels.metricName && $0.op == .equal }) {
            let names = byName[name.value]
            candidates = names?.keys ?? []
            ordered = names?.ordered ?? true
        } else {
            candidates = Array(series.keys)
        }
        let selected = candidates.compactMap { key -> Series? in
            guard let (labels, samples) = series[key], matchers.allSatisfy({ $0.matches(labels) }) else { return nil }
            let first = samples.partitioningIndex { $0.timestamp >= start }
            let past = samples.partitioningIndex { $0.timestamp > end }
            return Series(labels: labels, samples: first < past ? Array(samples[first..<past]) : [])
        }
        return ordered ? selected : selected.sorted { $0.labels < $1.labels }
    }
}

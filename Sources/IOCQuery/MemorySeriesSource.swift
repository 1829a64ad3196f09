public import IOCCore

/// Series held in memory: the store of a promqltest script, of rule unit tests, and of tests.
public final class MemorySeriesSource: SeriesSource {
    /// The series in the order they were first added, and where each is by its labels' fingerprint
    /// (hashing labels as strings normalises every one of them; rules add a thousand series to one
    /// of these at every evaluation).
    private var series: [(labels: Labels, samples: [Sample])] = []
    private var positions: [Fingerprint: Int] = [:]
    /// The series of each metric name: a selector that names its metric (nearly all do) looks at
    /// those only, not at every series held.
    private var byName: [ExactString: Names] = [:]

    /// A metric name's series (their positions), and whether they were added in label order (rules
    /// give them so), so that a selection need not sort them.
    private struct Names {
        var positions: [Int] = []
        var last = Labels()
        var ordered = true

        mutating func add(_ position: Int, _ labels: Labels) {
            if !positions.isEmpty && !(last < labels) { ordered = false }
            positions.append(position)
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
        guard let position = positions[key] else {
            positions[key] = series.count
            byName[ExactString(labels.metric ?? ""), default: Names()].add(series.count, labels)
            if zip(samples, samples.dropFirst()).allSatisfy({ $0.timestamp < $1.timestamp }) {
                series.append((labels, samples))
            } else {
                series.append((labels, []))
                add(labels, fingerprint: key, samples)
            }
            return
        }
        // In place: the samples array is not copied for each sample added.
        series[position].samples.reserveCapacity(series[position].samples.count + samples.count)
        for sample in samples {
            // Samples mostly come in time order: appended; otherwise put in place.
            if let last = series[position].samples.last, last.timestamp >= sample.timestamp {
                series[position].samples.removeAll { $0.timestamp == sample.timestamp }
                let after =
                    series[position].samples.firstIndex { $0.timestamp > sample.timestamp }
                    ?? series[position].samples.endIndex
                series[position].samples.insert(sample, at: after)
            } else {
                series[position].samples.append(sample)
            }
        }
    }

    public func clear() {
        series = []
        positions = [:]
        byName = [:]
    }

    /// The series matching `matchers`, in label order (the rules' layer relies on it).
    public func select(_ matchers: [LabelMatcher], from start: Int64, through end: Int64) throws -> [Series] {
        let candidates: [Int]
        var ordered = false
        var others = matchers
        if let name = matchers.firstIndex(where: { $0.name == Labels.metricName && $0.op == .equal }) {
            let names = byName[ExactString(matchers[name].value)]
            candidates = names?.positions ?? []
            ordered = names?.ordered ?? true
            // Every candidate has the name: its matcher need not look again.
            others.remove(at: name)
        } else {
            candidates = Array(series.indices)
        }
        let selected = candidates.compactMap { position -> Series? in
            let (labels, samples) = series[position]
            guard others.allSatisfy({ $0.matches(labels) }) else { return nil }
            let first = samples.partitioningIndex { $0.timestamp >= start }
            let past = samples.partitioningIndex { $0.timestamp > end }
            // A series inside the range whole is shared, not copied.
            let inside = first == 0 && past == samples.count ? samples : Array(samples[first..<max(first, past)])
            return Series(labels: labels, samples: inside)
        }
        return ordered ? selected : selected.sorted { $0.labels < $1.labels }
    }
}

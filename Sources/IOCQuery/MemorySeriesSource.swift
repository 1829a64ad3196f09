public import IOCCore

/// Series held in memory: the store of a promqltest script, of rule unit tests, and of tests.
public final class MemorySeriesSource: SeriesSource {
    /// Everything held, in one value so that a batch of additions is one access to the class's
    /// storage rather than several for each series (a rule adds a thousand series at a time).
    private var contents = Contents()

    /// The series in the order they were first added, and where each is by its labels' fingerprint
    /// (hashing labels as strings normalises every one of them; rules add a thousand series to one
    /// of these at every evaluation).
    private struct Contents {
        var series: [(labels: Labels, samples: [Sample])] = []
        var positions: [Fingerprint: Int] = [:]
        /// The series of each metric name: a selector that names its metric (nearly all do) looks at
        /// those only, not at every series held.
        var byName: [ExactString: Names] = [:]

        mutating func add(_ labels: Labels, fingerprint key: Fingerprint, _ samples: [Sample]) {
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

        /// One sample to each item's series. New series of one metric name in a row (a rule's
        /// results all have its name) are filed under it together: the name is hashed once a run.
        mutating func add(_ items: [LabeledSample], fingerprints keys: [Fingerprint]) {
            positions.reserveCapacity(positions.count + items.count)
            series.reserveCapacity(series.count + items.count)
            var run: (name: String, names: Names)?
            for (item, key) in zip(items, keys) {
                let position = series.count
                let name = item.labels.metric ?? ""
                if let held = positions.updateValue(position, forKey: key) {
                    // A series already here (two rules giving one series): the general way.
                    positions[key] = held
                    file(&run)
                    add(item.labels, fingerprint: key, [item.sample])
                    continue
                }
                if let current = run?.name, !ExactText.equal(current, name) { file(&run) }
                if run == nil { run = (name, Names()) }
                run?.names.add(position, item.labels)
                series.append((item.labels, [item.sample]))
            }
            file(&run)
        }

        /// Files a run of new series of one name under it.
        private mutating func file(_ run: inout (name: String, names: Names)?) {
            guard let (name, names) = run else { return }
            run = nil
            byName[ExactString(name), default: Names()].append(names)
        }
    }

    /// A metric name's series (their positions), and whether they were added in label order (rules
    /// give them so), so that a selection need not sort them.
    private struct Names {
        var positions: [Int] = []
        var first = Labels()
        var last = Labels()
        var ordered = true

        mutating func add(_ position: Int, _ labels: Labels) {
            if positions.isEmpty {
                first = labels
            } else if !(last < labels) {
                ordered = false
            }
            positions.append(position)
            last = labels
        }

        /// Those of `later`, added after these.
        mutating func append(_ later: Names) {
            guard !positions.isEmpty else { return self = later }
            guard !later.positions.isEmpty else { return }
            ordered = ordered && later.ordered && last < later.first
            positions += later.positions
            last = later.last
        }
    }

    public init() {}

    /// Adds samples to a series (kept in time order; a sample at an existing time replaces it).
    public func add(_ labels: Labels, _ samples: [Sample]) {
        add(labels, fingerprint: labels.fingerprint, samples)
    }

    /// `add(_:_:)` for a caller that has the labels' fingerprint already.
    public func add(_ labels: Labels, fingerprint key: Fingerprint, _ samples: [Sample]) {
        contents.add(labels, fingerprint: key, samples)
    }

    /// One sample to each item's series, for a caller that has their fingerprints (`keys`, one
    /// each): what a rule's evaluation gives, added at once.
    public func add(_ items: [LabeledSample], fingerprints keys: [Fingerprint]) {
        precondition(items.count == keys.count, "one fingerprint for each item")
        contents.add(items, fingerprints: keys)
    }

    public func clear() {
        contents = Contents()
    }

    /// The series matching `matchers`, in label order (the rules' layer relies on it).
    public func select(_ matchers: [LabelMatcher], from start: Int64, through end: Int64) throws -> [Series] {
        let candidates: [Int]
        var ordered = false
        var others = matchers
        let (series, byName) = (contents.series, contents.byName)
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

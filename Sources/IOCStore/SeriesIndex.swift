import IOCCore

/// The series of a store in memory for a reader: labels by id, an inverted index from label pairs
/// to ids, and each series' rank in label order so that results sort by an integer. Ids are SQLite
/// row ids, dense from 1, so the per-series tables are arrays indexed by id.
struct SeriesIndex {
    private var labels: [Labels?] = []
    /// Values by their bytes (`ExactString`): two spellings of one text are two values, as in Prometheus.
    private var postings: [String: [ExactString: [Int64]]] = [:]
    private var rank: [Int] = []
    /// Ids in label order.
    private var ordered: [Int64] = []
    private(set) var newest: Int64 = 0
    /// Moves on whenever series are added, so that what was found before can be told from now.
    private(set) var generation = 0

    mutating func add(_ series: [(Int64, Labels)]) {
        guard !series.isEmpty else { return }
        generation += 1
        var replaced = false
        for (id, labels) in series {
            if id >= self.labels.count {
                self.labels.append(contentsOf: repeatElement(nil, count: Int(id) + 1 - self.labels.count))
            }
            replaced = replaced || self.labels[Int(id)] != nil
            self.labels[Int(id)] = labels
            for pair in labels.pairs {
                postings[pair.name, default: [:]][ExactString(pair.value), default: []].append(id)
            }
            newest = max(newest, id)
        }
        // New series take their places in label order by binary search (a few series an hour join
        // a long-lived reader's ten thousand, which a full sort compared again each time); ranks
        // are renumbered, a pass over integers.
        if replaced || series.count * 8 > ordered.count {
            ordered = labels.indices.compactMap { id in labels[id] == nil ? nil : Int64(id) }
            ordered.sort { (labels[Int($0)] ?? Labels()) < (labels[Int($1)] ?? Labels()) }
        } else {
            for (id, _) in series {
                guard let added = labels[Int(id)] else { continue }
                var low = 0
                var high = ordered.count
                while low < high {
                    let middle = (low + high) / 2
                    if labels[Int(ordered[middle])] ?? Labels() < added { low = middle + 1 } else { high = middle }
                }
                ordered.insert(id, at: low)
            }
        }
        rank = Array(repeating: 0, count: labels.count)
        for (position, id) in ordered.enumerated() { rank[Int(id)] = position }
    }

    /// Every label name of the series, sorted by their UTF-8 bytes (as SQLite sorts text).
    var names: [String] { postings.keys.sorted(by: ExactText.less) }

    /// Every value label `name` takes, sorted by their UTF-8 bytes.
    func values(of name: String) -> [String] {
        (postings[name]?.keys).map { $0.sorted().map(\.string) } ?? []
    }

    func series(matching matchers: [LabelMatcher]) -> [(id: Int64, labels: Labels)] {
        // Ranks and ids only while sorting: moving labels would retain and release them each time.
        var found: [(rank: Int, id: Int64)] = []
        // The anchor is the equality matcher with the shortest posting list (`service="x"` rather
        // than the metric name shared by thousands); it holds for every series that list names.
        let anchor = matchers.indices.filter { matchers[$0].op == .equal && !matchers[$0].value.isEmpty }
            .min {
                postings[matchers[$0].name]?[ExactString(matchers[$0].value)]?.count ?? 0
                    < postings[matchers[$1].name]?[ExactString(matchers[$1].value)]?.count ?? 0
            }
        let rest = matchers.indices.filter { $0 != anchor }.map { matchers[$0] }
        func consider(_ id: Int64) {
            guard id >= 0, id < labels.count, let labels = labels[Int(id)] else { return }
            guard rest.allSatisfy({ $0.matches(labels) }) else { return }
            found.append((rank[Int(id)], id))
        }
        if let anchor {
            for id in postings[matchers[anchor].name]?[ExactString(matchers[anchor].value)] ?? [] { consider(id) }
        } else {
            for id in labels.indices where labels[id] != nil { consider(Int64(id)) }
        }
        found.sort { $0.rank < $1.rank }
        return found.map { ($0.id, labels[Int($0.id)] ?? Labels()) }
    }
}

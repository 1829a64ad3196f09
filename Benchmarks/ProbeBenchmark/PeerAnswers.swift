import Foundation

/// What two servers answered to one query, compared as Prometheus' answers are meant: the same
/// result type, the same label sets (in any order: only `sort` and friends promise one), and at
/// every time the same value, to a relative 1e-9 (two engines may add the same floats in another
/// order), NaN equal to NaN. Nil when they agree, else the first difference found.
func answersDiffer(_ ours: String, _ theirs: String) -> String? {
    guard let left = PeerAnswer(ours) else { return "iocd's answer is not Prometheus' JSON" }
    guard let right = PeerAnswer(theirs) else { return "Prometheus' answer is not JSON" }
    guard left.type == right.type else { return "result type \(left.type), Prometheus \(right.type)" }
    if left.series.count != right.series.count {
        let missing = right.series.keys.filter { left.series[$0] == nil }.sorted().prefix(2)
        let extra = left.series.keys.filter { right.series[$0] == nil }.sorted().prefix(2)
        return "\(left.series.count) series, Prometheus \(right.series.count); missing \(missing), extra \(extra)"
    }
    for (labels, points) in right.series.sorted(by: { $0.key < $1.key }) {
        guard let mine = left.series[labels] else { return "no series \(labels)" }
        if mine.count != points.count {
            let ours = Set(mine.map(\.time)), theirs = Set(points.map(\.time))
            return "\(labels): \(mine.count) points, Prometheus \(points.count); times only ours "
                + "\(ours.subtracting(theirs).sorted().prefix(3)), only theirs \(theirs.subtracting(ours).sorted().prefix(3))"
        }
        for (a, b) in zip(mine, points) {
            guard a.time == b.time else { return "\(labels): a point at \(a.time), Prometheus at \(b.time)" }
            guard PeerAnswer.same(a.value, b.value) else {
                return "\(labels) at \(a.time): \(a.value), Prometheus \(b.value)"
            }
        }
    }
    return nil
}

/// An answer of `/api/v1/query` or `/api/v1/query_range`: each series' points by its labels.
private struct PeerAnswer {
    var type: String
    var series: [String: [(time: Double, value: String)]] = [:]

    init?(_ body: String) {
        guard let root = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let data = root["data"] as? [String: Any], let type = data["resultType"] as? String
        else { return nil }
        self.type = type
        func point(_ any: Any?) -> (time: Double, value: String)? {
            guard let pair = any as? [Any], pair.count == 2, let time = (pair[0] as? NSNumber)?.doubleValue,
                let value = pair[1] as? String
            else { return nil }
            return (time, value)
        }
        switch type {
        case "scalar", "string":
            guard let value = point(data["result"]) else { return nil }
            series[""] = [value]
        default:
            guard let result = data["result"] as? [[String: Any]] else { return nil }
            for element in result {
                let metric = element["metric"] as? [String: String] ?? [:]
                let labels =
                    "{" + metric.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",")
                    + "}"
                var points: [(time: Double, value: String)] = []
                if let values = element["values"] as? [Any] {
                    for value in values {
                        guard let value = point(value) else { return nil }
                        points.append(value)
                    }
                } else if let value = point(element["value"]) {
                    points.append(value)
                }
                // Two series with the same labels in one answer is a fault in itself.
                guard series[labels] == nil else { return nil }
                series[labels] = points
            }
        }
    }

    static func same(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        guard let x = Double(a), let y = Double(b) else { return false }
        if x.isNaN && y.isNaN { return true }
        guard x.isFinite, y.isFinite else { return x == y }
        return abs(x - y) <= 1e-9 * max(abs(x), abs(y), 1e-300)
    }
}

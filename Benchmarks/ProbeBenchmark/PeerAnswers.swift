import Foundation
import IOCCore
import IOCQuery

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

/// An answer of `/api/v1/query` or `/api/v1/query_range`, read by `PrometheusWire.QueryData` (as
/// `ioc dashboard --source` reads a remote API): each series' points by its labels.
private struct PeerAnswer {
    var type: String
    var series: [String: [(time: Double, value: String)]] = [:]

    init?(_ body: String) {
        struct Envelope: Decodable { var data: PrometheusWire.QueryData }
        guard let data = try? JSONDecoder().decode(Envelope.self, from: Data(body.utf8)).data,
            let value = try? data.value()
        else { return nil }
        type = data.resultType
        func point(_ sample: Sample) -> (time: Double, value: String) {
            (Double(sample.timestamp) / 1000, PrometheusNumber.format(sample.value))
        }
        switch value {
        case .scalar(let number): series[""] = [(0, PrometheusNumber.format(number))]
        case .string(let text): series[""] = [(0, text)]
        case .vector(let elements):
            for element in elements {
                // Two series with the same labels in one answer is a fault in itself.
                guard
                    series.updateValue(
                        [point(Sample(timestamp: element.timestamp, value: element.value))],
                        forKey: element.labels.description) == nil
                else { return nil }
            }
        case .matrix(let items):
            for item in items {
                guard series.updateValue(item.samples.map(point), forKey: item.labels.description) == nil
                else { return nil }
            }
        }
    }

    static func same(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        guard let x = PrometheusNumber.parse(a), let y = PrometheusNumber.parse(b) else { return false }
        if x.isNaN && y.isNaN { return true }
        guard x.isFinite, y.isFinite else { return x == y }
        return abs(x - y) <= 1e-9 * max(abs(x), abs(y), 1e-300)
    }
}

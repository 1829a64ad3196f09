/// Which k members of a group `topk` and `bottomk` keep, chosen as Prometheus chooses them: the
/// members are offered in the input's order (a selection's series in label order) to a binary heap
/// of at most k whose root is the member to drop next (the least for `topk`, the greatest for
/// `bottomk`, a NaN before any number). A member enters while there is room, or when it beats the
/// root or the root is NaN; then the root leaves and the member is pushed. Among equal values
/// (counters at zero, probes all up) this decides which are kept, and no sort does: a stable sort
/// keeps the first equals, where the heap keeps whichever its shape leaves, as Prometheus 2.42
/// answered in `ioc-bench peers --compare` and as `RankHeapTests` check against its answers.
struct RankHeap {
    private(set) var items: [(value: Double, member: Int)] = []
    private(set) var k: Int
    let top: Bool

    init(k: Int, top: Bool) {
        self.k = k
        self.top = top
        items.reserveCapacity(Swift.min(k, 64))
    }

    /// Empty again, to keep at most `k`, its storage kept: one heap serves every group and step.
    mutating func restart(k: Int) {
        self.k = k
        items.removeAll(keepingCapacity: true)
    }

    /// Whether `a` is nearer the root than `b`: Go's `Less` of Prometheus' two heaps.
    private func less(_ a: Double, _ b: Double) -> Bool {
        a.isNaN || (top ? a < b : a > b)
    }

    mutating func offer(_ value: Double, member: Int) {
        guard k > 0 else { return }
        if items.count == k {
            let root = items[0].value
            guard root.isNaN || (top ? root < value : root > value) else { return }
            // Go's `heap.Pop`: the last to the root, sifted down over the others, then removed.
            items.swapAt(0, k - 1)
            siftDown(from: 0, count: k - 1)
            items.removeLast()
        }
        items.append((value, member))
        siftUp(from: items.count - 1)
    }

    private mutating func siftUp(from start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(items[child].value, items[parent].value) else { return }
            items.swapAt(parent, child)
            child = parent
        }
    }

    private mutating func siftDown(from start: Int, count: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < count else { return }
            var child = left
            if left + 1 < count, less(items[left + 1].value, items[left].value) { child = left + 1 }
            guard less(items[child].value, items[parent].value) else { return }
            items.swapAt(parent, child)
            parent = child
        }
    }

    /// The kept members, best first (NaN last), equals in the heap's order: as Prometheus orders
    /// an instant query's answer (its sort of a heap of up to twelve is an insertion sort, stable).
    func ordered() -> [(value: Double, member: Int)] {
        var result = items
        // Whether `a` goes before `b`: the heap's `Less` reversed.
        func before(_ a: Double, _ b: Double) -> Bool { b.isNaN ? !a.isNaN : (top ? a > b : a < b) }
        if result.count <= 12 {
            for index in result.indices.dropFirst() {
                var position = index
                while position > 0, before(result[position].value, result[position - 1].value) {
                    result.swapAt(position, position - 1)
                    position -= 1
                }
            }
        } else {
            result.sort { before($0.value, $1.value) }
        }
        return result
    }
}

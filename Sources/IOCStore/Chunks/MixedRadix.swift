/// Numbers in `0..<base` written as the digits of a few larger numbers: `digits` of them at a time
/// as one number below `base^digits` in the fewest bits that hold it. Noise of 0...99,999 then
/// takes 50 bits for three values where one bit width for each takes 51, as close to the
/// log2(base) bits a value carries as the groups allow; a frame-of-reference chunk loses half a bit
/// a value on average to its whole-bit width.
///
/// Groups stay below 2^52, so that a group divides by the base through a double's reciprocal and
/// one correction, not an integer division per digit.
struct MixedRadix {
    let base: UInt64
    /// Digits in a full group, and the bits of one.
    let digits: Int
    let groupBits: Int
    private let reciprocal: Double

    static let groupLimit: UInt64 = 1 << 52

    /// Nil for a base below 2 or above 2^52, and for a power of two (whole bits hold it already).
    init?(base: UInt64) {
        guard base >= 3, base <= Self.groupLimit, base & (base - 1) != 0 else { return nil }
        self.base = base
        var power: UInt64 = 1
        var digits = 0
        while power <= Self.groupLimit / base {
            power *= base
            digits += 1
        }
        self.digits = digits
        groupBits = 64 - (power - 1).leadingZeroBitCount
        reciprocal = 1 / Double(base)
    }

    /// The bits of a group of `count` digits (the last group may hold fewer than `digits`).
    func bits(digits count: Int) -> Int {
        var power: UInt64 = 1
        for _ in 0..<count { power *= base }
        return 64 - (power - 1).leadingZeroBitCount
    }

    /// Writes numbers below `base`, the first of each group as its lowest digit.
    func write(_ numbers: [UInt64], _ writer: inout BitWriter) {
        var start = 0
        while start < numbers.count {
            let end = min(numbers.count, start + digits)
            var group: UInt64 = 0
            for number in numbers[start..<end].reversed() { group = group * base + number }
            writer.write(group, count: end - start == digits ? groupBits : bits(digits: end - start))
            start = end
        }
    }

    /// Reads `count` numbers written by `write`, from the reader's position, and gives `body` those
    /// of `indices` with their index; skips the groups before the first one wanted.
    @inline(__always)
    func read(
        _ reader: inout BitReader, count: Int, indices: Range<Int>, _ body: (Int, UInt64) -> Void
    ) throws(ChunkError) {
        let firstGroup = indices.lowerBound / digits
        reader.position += firstGroup * groupBits
        var index = firstGroup * digits
        let lastBits = bits(digits: count % digits == 0 ? digits : count % digits)
        while index < indices.upperBound {
            let inGroup = min(digits, count - index)
            var group = try reader.read(count: inGroup == digits ? groupBits : lastBits)
            for _ in 0..<inGroup {
                let (quotient, digit) = divide(group)
                if index >= indices.lowerBound && index < indices.upperBound { body(index, digit) }
                group = quotient
                index += 1
            }
        }
    }

    /// `number` divided by the base, for numbers below 2^52: the double quotient is off by at most
    /// one, which the remainder shows.
    @inline(__always) func divide(_ number: UInt64) -> (quotient: UInt64, remainder: UInt64) {
        var quotient = UInt64(Double(number) * reciprocal)
        var remainder = Int64(bitPattern: number &- quotient &* base)
        if remainder < 0 {
            quotient -= 1
            remainder += Int64(base)
        } else if remainder >= Int64(base) {
            quotient += 1
            remainder -= Int64(base)
        }
        return (quotient, UInt64(remainder))
    }
}

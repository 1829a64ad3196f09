internal import CRE2

/// A regular expression with Go's (RE2's) syntax and semantics, matched in time linear in the text:
/// what Prometheus' label matchers, `label_replace` and templates use. A backtracking engine lets a
/// pattern like `(.*)*b` take exponential time on one label value; this cannot.
///
/// `@unchecked Sendable`: the compiled RE2 object is immutable after construction and RE2
/// documents its matching methods as safe to call from several threads at once.
public final class LinearRegex: @unchecked Sendable {
    private let compiled: OpaquePointer
    public let pattern: String
    /// The number of capturing groups.
    public let groupCount: Int

    /// A compile error, in RE2's words.
    public struct CompileError: Error, Sendable, CustomStringConvertible {
        public let pattern: String
        public let reason: String
        public var description: String { "invalid regular expression \"\(pattern)\": \(reason)" }
    }

    /// Compiles `pattern`. `anchored`: the whole text must match (`^(?:pattern)$`, as PromQL
    /// anchors its regular expressions); `dotMatchesNewlines`: Go's `(?s)`.
    public init(_ pattern: String, anchored: Bool = false, dotMatchesNewlines: Bool = false) throws(CompileError) {
        self.pattern = pattern
        let source = anchored ? "^(?:\(pattern))$" : pattern
        var message = [CChar](repeating: 0, count: 256)
        let made = source.utf8CString.withUnsafeBufferPointer { buffer in
            message.withUnsafeMutableBufferPointer { error in
                ioc_re2_new(
                    buffer.baseAddress, buffer.count - 1, dotMatchesNewlines ? 1 : 0, error.baseAddress, error.count)
            }
        }
        guard let made else {
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw CompileError(pattern: pattern, reason: reason)
        }
        compiled = made
        groupCount = Int(ioc_re2_group_count(made))
    }

    deinit { ioc_re2_free(compiled) }

    /// Whether the whole of `text` matches.
    public func matchesWhole(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { ioc_re2_full_match(compiled, $0.baseAddress, $0.count) == 1 }
    }

    /// Whether some part of `text` matches.
    public func matchesPart(of text: String) -> Bool {
        var text = text
        return text.withUTF8 { ioc_re2_partial_match(compiled, $0.baseAddress, $0.count) == 1 }
    }

    /// The groups of the match (whole text when `anchored`, else the first match at or after the
    /// byte offset `start`), as byte ranges of `utf8`; nil where a group took no part. Nil when
    /// nothing matches.
    public func match(_ utf8: [UInt8], from start: Int = 0, anchored: Bool) -> [Range<Int>?]? {
        var offsets = [Int](repeating: -1, count: 2 * (groupCount + 1))
        let matched = utf8.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { text in
                offsets.withUnsafeMutableBufferPointer { out in
                    ioc_re2_match(
                        compiled, text.baseAddress, text.count, start, anchored ? 1 : 0, out.baseAddress,
                        Int32(groupCount))
                }
            }
        }
        guard matched == 1 else { return nil }
        return (0...groupCount).map { index in
            let low = offsets[2 * index]
            let high = offsets[2 * index + 1]
            return low < 0 ? nil : low..<high
        }
    }
}

extension LinearRegex {
    /// The index of the group named `name`, if there is one.
    public func groupIndex(named name: String) -> Int? {
        var name = name
        let index = name.withUTF8 { Int(ioc_re2_named_group(compiled, $0.baseAddress, $0.count)) }
        return index < 0 ? nil : index
    }

    /// Go's `Regexp.Expand`: `template` with `$1`, `${1}`, `$name` and `${name}` replaced by the
    /// groups of a match in `utf8`, and `$$` by a dollar. A group that took no part, or does not
    /// exist, is empty.
    public func expand(_ template: String, groups: [Range<Int>?], in utf8: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        let characters = Array(template.utf8)
        var index = 0
        func group(_ number: Int) {
            guard number < groups.count, let range = groups[number] else { return }
            result.append(contentsOf: utf8[range])
        }
        func isNameByte(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
        }
        while index < characters.count {
            let byte = characters[index]
            index += 1
            guard byte == UInt8(ascii: "$") else {
                result.append(byte)
                continue
            }
            guard index < characters.count else {
                result.append(byte)
                break
            }
            if characters[index] == UInt8(ascii: "$") {
                result.append(byte)
                index += 1
                continue
            }
            var name: [UInt8] = []
            if characters[index] == UInt8(ascii: "{") {
                guard let close = characters[index...].firstIndex(of: UInt8(ascii: "}")) else {
                    result.append(byte)
                    continue
                }
                name = Array(characters[(index + 1)..<close])
                guard !name.isEmpty, name.allSatisfy(isNameByte) else {
                    result.append(byte)
                    continue
                }
                index = close + 1
            } else {
                while index < characters.count, isNameByte(characters[index]) {
                    name.append(characters[index])
                    index += 1
                }
                guard !name.isEmpty else {
                    result.append(byte)
                    continue
                }
            }
            let text = String(decoding: name, as: UTF8.self)
            if let number = Int(text) {
                group(number)
            } else if let number = groupIndex(named: text) {
                group(number)
            }
        }
        return result
    }

    /// Go's `ReplaceAllString`: every non-overlapping match replaced by `template` expanded (an
    /// empty match right after a previous match is not replaced).
    public func replaceAll(in text: String, with template: String) -> String {
        let utf8 = Array(text.utf8)
        var result: [UInt8] = []
        var position = 0
        var lastEnd = -1
        func nextScalarEnd(_ offset: Int) -> Int {
            var next = offset + 1
            while next < utf8.count, utf8[next] & 0xC0 == 0x80 { next += 1 }
            return next
        }
        while position <= utf8.count, let groups = match(utf8, from: position, anchored: false),
            let whole = groups[0]
        {
            if whole.isEmpty && whole.lowerBound == lastEnd {
                guard whole.lowerBound < utf8.count else { break }
                let next = nextScalarEnd(whole.lowerBound)
                result.append(contentsOf: utf8[position..<next])
                position = next
                continue
            }
            result.append(contentsOf: utf8[position..<whole.lowerBound])
            result.append(contentsOf: expand(template, groups: groups, in: utf8))
            lastEnd = whole.upperBound
            if whole.isEmpty {
                guard whole.upperBound < utf8.count else {
                    position = utf8.count
                    break
                }
                let next = nextScalarEnd(whole.upperBound)
                result.append(contentsOf: utf8[whole.upperBound..<next])
                position = next
            } else {
                position = whole.upperBound
            }
        }
        if position < utf8.count { result.append(contentsOf: utf8[position...]) }
        return String(decoding: result, as: UTF8.self)
    }
}

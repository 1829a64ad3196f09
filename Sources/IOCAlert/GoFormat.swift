import Foundation
import IOCCore

/// Numbers and values printed as Go prints them, because rule templates are Go templates and an
/// annotation must read the same in IOC as in Prometheus.
enum GoFormat {
    /// A float64 as Go's `%v` prints it: the shortest digits that read back the same, in exponent
    /// form when the exponent is below -4 or at least 6, as `strconv.FormatFloat(v, 'g', -1, 64)`
    /// decides for the shortest precision (1e+06, 123456, 1e-05).
    static func shortest(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        let (digits, point) = decimalDigits(abs(value))
        let sign = value < 0 ? "-" : ""
        let exponent = point - 1
        if exponent < -4 || exponent >= 6 {
            var mantissa = String(digits.first ?? "0")
            if digits.count > 1 { mantissa += "." + digits.dropFirst() }
            return sign + mantissa + exponentSuffix(exponent)
        }
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + digits }
        if point >= digits.count { return sign + digits + String(repeating: "0", count: point - digits.count) }
        let split = digits.index(digits.startIndex, offsetBy: point)
        return sign + digits[..<split] + "." + digits[split...]
    }

    /// `e+06`, `e-05`: the sign and at least two digits, as Go and C write exponents.
    private static func exponentSuffix(_ exponent: Int) -> String {
        let magnitude = abs(exponent)
        return "e" + (exponent < 0 ? "-" : "+") + (magnitude < 10 ? "0" : "") + String(magnitude)
    }

    /// The shortest decimal digits of a positive finite value (no leading or trailing zeros) and
    /// where the decimal point goes: value = 0.DIGITS × 10^point.
    static func decimalDigits(_ value: Double) -> (String, Int) {
        // Swift's description is the shortest text that reads back the same value.
        let text = value.description
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let whole = String(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = whole + fraction
        var point = whole.count + exponent
        while digits.hasPrefix("0") {
            digits.removeFirst()
            point -= 1
        }
        while digits.hasSuffix("0") { digits.removeLast() }
        return (digits.isEmpty ? "0" : digits, point)
    }

    /// C's and Go's `%.<precision>g` (they agree for an explicit precision).
    static func general(_ value: Double, precision: Int) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        return String(format: "%.\(precision)g", value)
    }

    /// Go's `fmt.Sprintf` for the verbs templates use: `%s %v %d %f %e %g %x %q %t %%` with flags,
    /// width and precision. A verb that does not fit its argument prints as Go does, `%!d(string=x)`.
    static func printf(_ format: String, _ arguments: [TemplateValue]) -> String {
        var output = ""
        var remaining = arguments[...]
        var index = format.startIndex
        while index < format.endIndex {
            let character = format[index]
            index = format.index(after: index)
            guard character == "%" else {
                output.append(character)
                continue
            }
            var spec = "%"
            while index < format.endIndex, "+-# 0123456789.".contains(format[index]) {
                spec.append(format[index])
                index = format.index(after: index)
            }
            guard index < format.endIndex else {
                output += "%!(NOVERB)"
                break
            }
            let verb = format[index]
            index = format.index(after: index)
            if verb == "%" {
                output += "%"
                continue
            }
            guard let argument = remaining.popFirst() else {
                output += "%!\(verb)(MISSING)"
                continue
            }
            output += formatted(argument, spec: bounded(spec), verb: verb)
        }
        if !remaining.isEmpty {
            output += "%!(EXTRA " + remaining.map { "\($0.goTypeName)=\($0.printed)" }.joined(separator: ", ") + ")"
        }
        return output
    }

    /// The spec with every width and precision capped at 4,096: `%999999999d` is the template
    /// author's, but it must not ask for a gigabyte of spaces.
    static func bounded(_ spec: String) -> String {
        var result = ""
        var digits = ""
        func flush() {
            guard !digits.isEmpty else { return }
            // A leading 0 is a flag, not part of a width.
            let zeros = digits.prefix { $0 == "0" }
            let number = digits.dropFirst(zeros.count)
            result += zeros + (number.isEmpty ? "" : String(min(Int(number) ?? 4096, 4096)))
            digits = ""
        }
        for character in spec {
            if character.isNumber {
                digits.append(character)
            } else {
                flush()
                result.append(character)
            }
        }
        flush()
        return result
    }

    private static func formatted(_ argument: TemplateValue, spec: String, verb: Character) -> String {
        // Go prints a mismatched argument as %v with the verb's width and precision still applied.
        let wrong = "%!\(verb)(\(argument.goTypeName)=\(pad(truncated(argument, spec: spec), spec: spec)))"
        switch (verb, argument) {
        case ("v", _), ("s", .string):
            return pad(truncated(argument, spec: spec), spec: spec)
        case ("s", _):
            return wrong
        case ("q", .string(let text)):
            return pad(quoted(text), spec: spec)
        case ("t", .bool(let flag)):
            return pad(flag ? "true" : "false", spec: spec)
        case ("d", .integer(let number)), ("x", .integer(let number)):
            return String(format: spec + (verb == "d" ? "lld" : "llx"), number)
        case ("d", .number(let number)) where number == number.rounded() && abs(number) < 9.2e18:
            // Numbers from literals that are whole print as integers; Go would need an int.
            return String(format: spec + "lld", Int64(number))
        case ("f", .number(let number)), ("F", .number(let number)), ("e", .number(let number)),
            ("E", .number(let number)), ("g", .number(let number)), ("G", .number(let number)):
            if number.isNaN || number.isInfinite { return pad(shortest(number), spec: spec) }
            if (verb == "g" || verb == "G") && !spec.contains(".") {
                return pad(shortest(number), spec: spec)
            }
            return String(format: spec + String(verb), number)
        case ("x", .string(let text)):
            return pad(text.utf8.map { String(format: "%02x", $0) }.joined(), spec: spec)
        case ("x", .number(let number)) where number == number.rounded() && abs(number) < 9.2e18:
            return String(format: spec + "llx", Int64(number))
        default:
            return wrong
        }
    }

    /// `%.Nv` of a value: a string cut to N characters, a number to N significant digits.
    private static func truncated(_ argument: TemplateValue, spec: String) -> String {
        guard let dot = spec.firstIndex(of: ".") else { return argument.printed }
        let precision = Int(spec[spec.index(after: dot)...].prefix { $0.isNumber }) ?? 0
        switch argument {
        case .string(let text): return String(text.prefix(precision))
        case .number(let number): return general(number, precision: max(precision, 1))
        default: return argument.printed
        }
    }

    private static func pad(_ text: String, spec: String) -> String {
        let digits = spec.drop { !"123456789".contains($0) }.prefix { $0.isNumber }
        // A width is the template author's, but bounded all the same.
        guard let width = Int(digits).map({ min($0, 4096) }), text.count < width else { return text }
        let padding = String(repeating: " ", count: width - text.count)
        return spec.contains("-") ? text + padding : padding + text
    }

    /// Go's `%q`: a double-quoted string with Go escapes (`\a \b \f \v` by their letters, `\x1b` for
    /// the other control characters and DEL), as `ControlCharacters.goQuoted` writes it.
    static func quoted(_ text: String) -> String { ControlCharacters.goQuoted(text) }
}

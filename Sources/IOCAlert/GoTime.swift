import Foundation
import IOCCore

/// Go's `time.Format` with its reference layout (`Mon Jan 2 15:04:05 MST 2006`), for templates'
/// `.StartsAt.Format "15:04 02/01/2006"` and `date`: the same chunks, read the way Go reads them.
enum GoTime {
    private static let months = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
        "December",
    ]
    private static let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    /// The civil fields of an instant shown at an offset.
    struct Civil {
        var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, nanosecond: Int
        var weekday: Int, dayOfYear: Int
    }

    static func civil(_ time: TemplateTime) -> Civil {
        // Wrapping at the very ends of Int64: no such time is real, and a template must not trap on one.
        let local = time.milliseconds &+ Int64(time.offsetSeconds) &* 1000
        let days = Int(local.floorDivided(by: 86_400_000))
        // The day's start may lie below Int64.min; wrapping, the difference is still the time of day.
        let inDay = Int(local &- Int64(days) &* 86_400_000)
        let (year, month, day) = CalendarPeriod.civilDate(days: Int64(days))
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let before = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334][month - 1]
        return Civil(
            year: year, month: month, day: day, hour: inDay / 3_600_000, minute: inDay / 60_000 % 60,
            second: inDay / 1000 % 60, nanosecond: inDay % 1000 * 1_000_000,
            weekday: ((days % 7) + 11) % 7, dayOfYear: before + day + (leap && month > 2 ? 1 : 0))
    }

    static func format(_ time: TemplateTime, layout: String) -> String {
        let c = civil(time)
        let chars = Array(layout.unicodeScalars)
        var out = ""
        var i = 0
        func pad(_ value: Int, _ width: Int, _ fill: String = "0") -> String {
            let text = String(abs(value))
            return (value < 0 ? "-" : "") + String(repeating: fill, count: max(0, width - text.count)) + text
        }
        func rest(_ prefix: String) -> Bool {
            let p = Array(prefix.unicodeScalars)
            return i + p.count <= chars.count && Array(chars[i..<(i + p.count)]) == p
        }
        func zone(_ colon: Bool, seconds: Bool, hoursOnly: Bool, z: Bool) -> String {
            if z && time.offsetSeconds == 0 { return "Z" }
            let offset = abs(time.offsetSeconds)
            var text = (time.offsetSeconds < 0 ? "-" : "+") + pad(offset / 3600, 2)
            if !hoursOnly { text += (colon ? ":" : "") + pad(offset / 60 % 60, 2) }
            if seconds { text += (colon ? ":" : "") + pad(offset % 60, 2) }
            return text
        }
        // Each chunk of Go's layout, longest first where one is the prefix of another.
        let chunks: [(String, () -> String)] = [
            ("January", { months[c.month - 1] }), ("Jan", { String(months[c.month - 1].prefix(3)) }),
            ("Monday", { weekdays[c.weekday] }), ("Mon", { String(weekdays[c.weekday].prefix(3)) }),
            ("MST", { time.zoneName }), ("2006", { pad(c.year, 4) }), ("2", { String(c.day) }),
            ("_2006", { "_" + pad(c.year, 4) }), ("__2", { pad(c.dayOfYear, 3, " ") }), ("_2", { pad(c.day, 2, " ") }),
            ("002", { pad(c.dayOfYear, 3) }), ("01", { pad(c.month, 2) }), ("02", { pad(c.day, 2) }),
            ("03", { pad((c.hour + 11) % 12 + 1, 2) }), ("04", { pad(c.minute, 2) }), ("05", { pad(c.second, 2) }),
            ("06", { pad(c.year % 100, 2) }), ("15", { pad(c.hour, 2) }), ("1", { String(c.month) }),
            ("3", { String((c.hour + 11) % 12 + 1) }), ("4", { String(c.minute) }), ("5", { String(c.second) }),
            ("PM", { c.hour >= 12 ? "PM" : "AM" }), ("pm", { c.hour >= 12 ? "pm" : "am" }),
            ("-07:00:00", { zone(true, seconds: true, hoursOnly: false, z: false) }),
            ("-070000", { zone(false, seconds: true, hoursOnly: false, z: false) }),
            ("-07:00", { zone(true, seconds: false, hoursOnly: false, z: false) }),
            ("-0700", { zone(false, seconds: false, hoursOnly: false, z: false) }),
            ("-07", { zone(false, seconds: false, hoursOnly: true, z: false) }),
            ("Z07:00:00", { zone(true, seconds: true, hoursOnly: false, z: true) }),
            ("Z070000", { zone(false, seconds: true, hoursOnly: false, z: true) }),
            ("Z07:00", { zone(true, seconds: false, hoursOnly: false, z: true) }),
            ("Z0700", { zone(false, seconds: false, hoursOnly: false, z: true) }),
            ("Z07", { zone(false, seconds: false, hoursOnly: true, z: true) }),
        ]
        outer: while i < chars.count {
            // `.000` or `,999`: fractional seconds, when a digit does not follow.
            if chars[i] == "." || chars[i] == ",", i + 1 < chars.count, chars[i + 1] == "0" || chars[i + 1] == "9" {
                var j = i + 1
                while j < chars.count, chars[j] == chars[i + 1] { j += 1 }
                if j >= chars.count || !("0"..."9").contains(chars[j]) {
                    let digits = j - i - 1
                    var fraction = pad(c.nanosecond, 9)
                    fraction = String(fraction.prefix(digits))
                    if chars[i + 1] == "9" {
                        while fraction.hasSuffix("0") { fraction.removeLast() }
                        if !fraction.isEmpty { out += String(chars[i]) + fraction }
                    } else {
                        out += String(chars[i]) + fraction
                    }
                    i = j
                    continue
                }
            }
            for (chunk, value) in chunks where rest(chunk) {
                // Go reads `Jan`, `Mon` and `MST` only where a lower-case letter does not follow.
                let end = i + chunk.unicodeScalars.count
                if ["Jan", "Mon", "MST"].contains(chunk), end < chars.count, chars[end].properties.isLowercase {
                    continue
                }
                out += value()
                i = end
                continue outer
            }
            out.unicodeScalars.append(chars[i])
            i += 1
        }
        return out
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

import Foundation
public import IOCCore

/// The report as people read it, in Vietnamese or English: Markdown, CSV for a spreadsheet, and a
/// printable HTML page.
extension PeriodReport {
    /// The period line: its bounds in UTC+7 and, if it is not over, up to when.
    func periodLine(_ language: Language) -> String {
        var text = "\(ReportText.periodWord.text(language)): \(Self.time(period.start)) "
        text += "\(ReportText.to.text(language)) \(Self.time(period.end)) (\(ReportText.zone.text(language)))"
        text += through < period.end ? "; \(ReportText.notOver.text(language)) \(Self.time(through))." : "."
        return text
    }

    /// A group's column: its name as the decision writes it and its most points, "Số hóa hồ sơ (22)".
    func groupHeads(_ language: Language) -> [String] {
        groups.map { group in
            let name = ReportText.group(group.name, language)
            return group.max.map { "\(name) (\(String(format: "%g", $0)))" } ?? name
        }
    }

    var scored: [Unit] { units.filter { $0.total != nil } }
    var probed: [Unit] { units.filter { $0.probes > 0 }.sorted { ($0.code, $0.name) < ($1.code, $1.name) } }

    func scoreNote(_ language: Language) -> String {
        if case .month = period.kind { return ReportText.monthNote.text(language) }
        return ReportText.meanNote.text(language)
    }

    /// The ranking's cells of one unit, numbers as text (nil where there is none).
    func rankingCells(_ unit: Unit, _ language: Language) -> [String?] {
        [unit.rank.map(String.init), unit.name, unit.code, Self.rounded(unit.total)]
            + groups.map { Self.rounded(unit.groups[$0.name]) }
            + [unit.band.map { ReportText.band($0, language) }, Self.signed(unit.change)]
    }

    func availabilityCells(_ unit: Unit) -> [String?] {
        [
            unit.name, unit.code, Self.percent(unit.availability), Self.percent(unit.serviceHoursAvailability),
            String(unit.probes),
        ]
    }

    func rankingHeads(_ language: Language) -> [String] {
        [ReportText.rank, ReportText.unit, ReportText.code, ReportText.total].map { $0.text(language) }
            + groupHeads(language) + [ReportText.band.text(language), ReportText.change.text(language)]
    }

    func availabilityHeads(_ language: Language) -> [String] {
        [ReportText.province, ReportText.code, ReportText.allHours, ReportText.serviceHours, ReportText.probes].map {
            $0.text(language)
        }
    }

    /// The report as Markdown: a heading, the ranking and the availability table.
    public func markdown(_ language: Language = .vi) -> String {
        var text = "# \(ReportText.title.text(language)) \(period)\n\n\(periodLine(language))\n\n"
        text += "## \(ReportText.ranking.text(language))\n\n"
        if scored.isEmpty {
            text += ReportText.noScorecard.text(language) + "\n\n"
        } else {
            text += "| " + rankingHeads(language).joined(separator: " | ") + " |\n"
            text += "|--:|---|---|--:|" + String(repeating: "--:|", count: groups.count) + "---|--:|\n"
            for unit in scored {
                // Every cell as text (numbers have nothing Markdown would act on).
                text +=
                    "| " + rankingCells(unit, language).map { $0.map(Self.cell) ?? "—" }.joined(separator: " | ")
                    + " |\n"
            }
            text += "\n" + scoreNote(language) + "\n\n"
        }
        text += "## \(ReportText.availability.text(language))\n\n"
        if probed.isEmpty { return text + ReportText.noProbes.text(language) + "\n" }
        text += "| " + availabilityHeads(language).joined(separator: " | ") + " |\n|---|---|--:|--:|--:|\n"
        for unit in probed {
            text += "| " + availabilityCells(unit).map { $0.map(Self.cell) ?? "—" }.joined(separator: " | ") + " |\n"
        }
        if !hasServiceHours { text += "\n" + ReportText.noServiceHours.text(language) + "\n" }
        return text
    }

    /// The report as one CSV table (RFC 4180) for a spreadsheet: a row per unit, ranked ones first.
    /// It starts with UTF-8's byte order mark, without which Excel on Windows reads "Phú Thọ" in
    /// its legacy code page.
    public func csv(_ language: Language = .vi) -> String {
        var rows = [
            rankingHeads(language)
                + [ReportText.allHours, ReportText.serviceHours, ReportText.probes].map {
                    $0.text(language)
                }
        ]
        for unit in units {
            rows.append(
                rankingCells(unit, language).map { $0 ?? "" }
                    + [
                        Self.percent(unit.availability) ?? "", Self.percent(unit.serviceHoursAvailability) ?? "",
                        unit.probes > 0 ? String(unit.probes) : "",
                    ])
        }
        return "\u{FEFF}" + rows.map { $0.map(Self.csvField).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    static func rounded(_ value: Double?) -> String? { value.map { String(format: "%.2f", $0) } }

    static func percent(_ value: Double?) -> String? { value.map { String(format: "%.2f", $0 * 100) } }

    static func signed(_ value: Double?) -> String? {
        value.map { String(format: "%+.2f", abs($0) < 0.005 ? 0 : $0) }
    }

    static func time(_ milliseconds: Int64) -> String {
        let local = milliseconds + CalendarPeriod.utcOffsetMilliseconds
        let days = Int64((Double(local) / 86_400_000).rounded(.down))
        let (year, month, day) = CalendarPeriod.civilDate(days: days)
        let minutes = (local - days * 86_400_000) / 60_000
        return String(format: "%04d-%02d-%02d %02d:%02d", year, month, day, Int(minutes / 60), Int(minutes % 60))
    }

    /// Text from the store in a Markdown cell: control characters and bidirectional overrides
    /// dropped, and every character that Markdown or HTML would act on escaped, so that a label
    /// value stays text (no table break, link, image or markup).
    static func cell(_ text: String) -> String {
        var out = ""
        for scalar in printable(text) {
            if "\\|*_`[]<>#!~&".unicodeScalars.contains(scalar) { out += "\\" }
            out.unicodeScalars.append(scalar)
        }
        return out
    }

    /// A CSV field (RFC 4180). Text that a spreadsheet would take for a formula (`=`, `+`, `-`, `@`
    /// first) gets a leading `'`, as OWASP advises; numbers, such as a change of -3.5, stay numbers.
    static func csvField(_ text: String) -> String {
        var clean = String(printable(text))
        if let first = clean.first, "=+-@".contains(first), Double(clean) == nil { clean = "'" + clean }
        guard clean.contains(where: { $0 == "," || $0 == "\"" || $0 == ";" }) else { return clean }
        return "\"" + clean.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func printable(_ text: String) -> String.UnicodeScalarView {
        String.UnicodeScalarView(
            text.unicodeScalars.filter {
                !ControlCharacters.isControl($0) && !ControlCharacters.isBidiOverride($0)
            })
    }
}

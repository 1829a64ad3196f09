public import IOCCore

/// The report as a page to print for leadership: the ranking and the availability tables on A4,
/// portrait, columns of fixed widths that together fit the page between its margins (186 mm).
extension PeriodReport {
    /// The printable width of an A4 page with 12 mm margins, in millimetres.
    static let printableWidth = 186

    public func html(_ language: Language = .vi) -> String {
        let title = "\(ReportText.title.text(language)) \(period)"
        var page = """
            <!DOCTYPE html>
            <html lang="\(language.rawValue)">
            <head>
            <meta charset="utf-8"/>
            <title>\(Self.html(title))</title>
            <style>
            @page { size: A4 portrait; margin: 12mm; }
            body { font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; font-size: 8.5pt; margin: 0 auto; max-width: \(Self.printableWidth)mm; }
            h1 { font-size: 14pt; margin: 0 0 2mm; } h2 { font-size: 11pt; margin: 5mm 0 2mm; }
            table { width: 100%; border-collapse: collapse; table-layout: fixed; }
            th, td { border: 0.2mm solid #777; padding: 0.5mm 1mm; overflow-wrap: anywhere; vertical-align: top; }
            th { background: #e8e8e8; font-weight: 600; text-align: center; }
            td.n { text-align: right; font-variant-numeric: tabular-nums; }
            thead { display: table-header-group; } tr { break-inside: avoid; }
            p.note { font-size: 8pt; color: #333; }
            </style>
            </head>
            <body>
            <h1>\(Self.html(title))</h1>
            <p>\(Self.html(periodLine(language)))</p>
            <h2>\(Self.html(ReportText.ranking.text(language)))</h2>

            """
        if scored.isEmpty {
            page += "<p>\(Self.html(ReportText.noScorecard.text(language)))</p>\n"
        } else {
            // Rank, unit, code, total, the groups, band, change: the groups share what is left.
            let fixed = [8, 30, 9, 12] + [16, 12]
            let group = groups.isEmpty ? 0 : (Self.printableWidth - fixed.reduce(0, +)) / groups.count
            let widths = Array(fixed[0..<4]) + Array(repeating: group, count: groups.count) + Array(fixed[4...])
            let numeric = Set([0, 3] + (0..<groups.count).map { 4 + $0 } + [5 + groups.count])
            page += Self.table(
                heads: rankingHeads(language), widths: widths,
                rows: scored.map { rankingCells($0, language) }, numeric: numeric)
            page += "<p class=\"note\">\(Self.html(scoreNote(language)))</p>\n"
        }
        page += "<h2>\(Self.html(ReportText.availability.text(language)))</h2>\n"
        if probed.isEmpty {
            page += "<p>\(Self.html(ReportText.noProbes.text(language)))</p>\n"
        } else {
            page += Self.table(
                heads: availabilityHeads(language), widths: [70, 16, 32, 40, 28], rows: probed.map(availabilityCells),
                numeric: [2, 3, 4])
            if !hasServiceHours {
                page += "<p class=\"note\">\(Self.html(ReportText.noServiceHours.text(language)))</p>\n"
            }
        }
        return page + "</body>\n</html>\n"
    }

    private static func table(heads: [String], widths: [Int], rows: [[String?]], numeric: Set<Int>) -> String {
        var text = "<table>\n<colgroup>" + widths.map { "<col style=\"width: \($0)mm\"/>" }.joined() + "</colgroup>\n"
        text += "<thead><tr>" + heads.map { "<th>\(html($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for row in rows {
            text += "<tr>"
            for (index, cell) in row.enumerated() {
                text += numeric.contains(index) ? "<td class=\"n\">" : "<td>"
                text += html(cell ?? "—") + "</td>"
            }
            text += "</tr>\n"
        }
        return text + "</tbody>\n</table>\n"
    }

    /// Text for HTML: control characters and bidirectional overrides dropped, the rest as
    /// `HTMLText` escapes it, so that a label value from a feed stays text.
    static func html(_ text: String) -> String { HTMLText.escaped(String(printable(text))) }
}

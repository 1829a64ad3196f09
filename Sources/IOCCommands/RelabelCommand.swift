import ArgumentParser
import Foundation
import IOCCore
import IOCConfig
import IOCDashboard
import IOCStore
import IOCReport

struct RelabelProvincesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relabel-provinces",
        abstract: "Move history recorded under a former province to the unit it is part of since 1 July 2025.",
        discussion: """
            Series whose province_code (or province name) is one of the 63 former provinces get the \
            current unit's province and province_code, and keep the old ones as former_province and \
            former_province_code: Hà Giang (02) becomes Tuyên Quang (08) with former_province="Hà Giang". \
            Samples are not touched; each series answers to its new labels. Stop iocd first (it keeps the \
            labels of the series it writes in memory), and update the probe files so that new samples \
            carry the new labels. --dry-run lists the changes without making them.
            """)

    @OptionGroup var store: StoreOptions

    @Flag(help: "List what would change, and change nothing.")
    var dryRun = false

    func run() throws {
        let path = store.path
        let reader = try StoreReader(path: path)
        let all =
            try reader.series(matching: [try LabelMatcher("province", .matchesRegex, ".+")])
            + reader.series(matching: [try LabelMatcher("province_code", .matchesRegex, ".+")])
        var seen: Set<Int64> = []
        var changes: [(id: Int64, from: Labels, to: Labels)] = []
        for (id, labels) in all where seen.insert(id).inserted {
            if let relabelled = ProvinceRelabel.relabel(labels) { changes.append((id, labels, relabelled)) }
        }
        changes.sort { $0.from < $1.from }
        for change in changes { print(TerminalText.sanitize("\(change.from) -> \(change.to)")) }
        if dryRun {
            print(Language.ofCommand.localized("cmd.relabel.dry_run", ["count": String(changes.count)]))
            return
        }
        try SeriesRelabeling.apply(changes.map { ($0.id, $0.to) }, path: path)
        print(Language.ofCommand.localized("cmd.relabel.done", ["count": String(changes.count)]))
    }
}

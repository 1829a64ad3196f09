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
        abstract: Message(
            vi: "Chuyển lịch sử ghi dưới tên một tỉnh cũ sang đơn vị mà tỉnh đó thuộc về từ 1/7/2025.",
            en: "Move history recorded under a former province to the unit it is part of since 1 July 2025."
        ).spoken,
        discussion: Message(
            vi: """
                Các chuỗi có province_code (hoặc tên tỉnh) là một trong 63 tỉnh cũ nhận province và province_code \
                của đơn vị hiện nay, và giữ giá trị cũ trong former_province và former_province_code: Hà Giang \
                (02) thành Tuyên Quang (08) với former_province="Hà Giang". Các mẫu không bị động đến; mỗi chuỗi \
                trả lời theo nhãn mới. Hãy dừng iocd trước (nó giữ nhãn của các chuỗi nó ghi trong bộ nhớ), và cập \
                nhật các tệp đo để mẫu mới mang nhãn mới. --dry-run liệt kê các thay đổi mà không thực hiện.
                """,
            en: """
                Series whose province_code (or province name) is one of the 63 former provinces get the \
                current unit's province and province_code, and keep the old ones as former_province and \
                former_province_code: Hà Giang (02) becomes Tuyên Quang (08) with former_province="Hà Giang". \
                Samples are not touched; each series answers to its new labels. Stop iocd first (it keeps the \
                labels of the series it writes in memory), and update the probe files so that new samples \
                carry the new labels. --dry-run lists the changes without making them.
                """
        ).spoken)

    @OptionGroup var store: StoreOptions

    @Flag(
        help: .says(
            vi: "Liệt kê những gì sẽ thay đổi, không đổi gì.", en: "List what would change, and change nothing."))
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

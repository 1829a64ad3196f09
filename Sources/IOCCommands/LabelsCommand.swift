import ArgumentParser
import Foundation
import IOCCore
import IOCConfig
import IOCDashboard
import IOCStore

struct LabelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labels",
        abstract: Message(
            vi: "Liệt kê tên các nhãn trong kho dữ liệu, hoặc các giá trị của một nhãn.",
            en: "List the label names in the store, or the values of one label."
        ).spoken,
        discussion: Message(
            vi: "Ví dụ: ioc labels   ·   ioc labels province   ·   ioc labels __name__ (tên các chỉ số)",
            en: "Examples: ioc labels   ·   ioc labels province   ·   ioc labels __name__ (the metric names)"
        ).spoken)

    @OptionGroup var store: StoreOptions

    @Argument(help: .says(vi: "Tên nhãn cần liệt kê giá trị.", en: "A label name whose values to list."))
    var name: String?

    @Option(
        name: .shortAndLong,
        help: .says(
            vi: "Cách in: text (mỗi dòng một giá trị) hoặc json (một mảng).",
            en: "How to print them: text (one a line) or json (an array)."))
    var output: OutputFormat = .text

    func run() throws {
        let path = store.path
        do {
            let reader = try StoreReader(path: path)
            let lines = try name.map { try reader.labelValues($0) } ?? reader.labelNames()
            if output == .json {
                // JSON escapes every control character: nothing in it acts on a terminal.
                print(OutputFormat.line(lines))
                return
            }
            // Label values come from feeds and probe files: never let them act on the terminal.
            for line in lines { print(TerminalText.sanitize(line)) }
        } catch {
            FileHandle.standardError.write(Data("ioc labels: \(store.language.describe(error))\n".utf8))
            throw ExitCode.failure
        }
    }
}

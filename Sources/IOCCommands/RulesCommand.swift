import ArgumentParser
import Foundation
import IOCAlert
import IOCCore

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: Message(
            vi: "Kiểm tra các tệp luật và chạy kiểm thử đơn vị của chúng, như promtool.",
            en: "Check rule files, and run their unit tests, as promtool does."
        ).spoken,
        subcommands: [Check.self, Test.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message(
                vi: "Kiểm tra các tệp luật theo định dạng Prometheus (như `promtool check rules`).",
                en: "Check rule files in Prometheus' format (like `promtool check rules`)."
            ).spoken,
            discussion: Message(
                vi: """
                    Đọc từng tệp, phân tích mọi biểu thức và mẫu, và báo lỗi đầu tiên của mỗi tệp dạng \
                    file:dòng:cột. Thoát với mã 1 khi có tệp lỗi. Các tệp kiểm thử đơn vị (có 'tests', như bên \
                    cạnh các luật đi kèm) được để lại cho `ioc rules test`, để `ioc rules check rules/*.yaml` kiểm \
                    tra được cả thư mục luật.
                    """,
                en: """
                    Reads each file, parses every expression and template, and reports the first problem of \
                    each file as file:line:column. Exits 1 when any file has a problem. Unit test files \
                    (with 'tests', as beside the shipped rules) are left for `ioc rules test`, so that \
                    `ioc rules check rules/*.yaml` checks a whole rules folder.
                    """
            ).spoken)

        @Argument(help: .says(vi: "Các tệp luật.", en: "Rule files."))
        var files: [String]

        @Option(
            name: .shortAndLong,
            help: .says(
                vi: "Cách báo kết quả: text (như promtool), hoặc json (một mảng: file, status, rules, error).",
                en: "How to report: text (as promtool), or json (an array: file, status, rules, error)."))
        var output: OutputFormat = .text

        func run() throws {
            var failed = false
            var results: [[String: Any]] = []
            for file in files {
                if output == .text { print("Checking \(file)") }
                if Check.isUnitTestFile(file) {
                    if output == .text {
                        print("  SKIPPED: a rule unit test file; run it with: ioc rules test \(file)\n")
                    }
                    results.append(["file": file, "status": "skipped"])
                    continue
                }
                do {
                    let groups = try RuleFile.load(file)
                    let count = groups.reduce(0) { $0 + $1.rules.count }
                    if output == .text { print("  SUCCESS: \(count) rules found\n") }
                    results.append(["file": file, "status": "success", "rules": count])
                } catch {
                    failed = true
                    if output == .text { print("  FAILED:\n\(error)\n") }
                    results.append(["file": file, "status": "failed", "error": "\(error)"])
                }
            }
            if output == .json { print(OutputFormat.line(results)) }
            if failed { throw ExitCode(1) }
        }

        /// Whether `file` is a unit test file in promtool's format: a mapping with `tests`.
        static func isUnitTestFile(_ file: String) -> Bool {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8),
                let root = try? ConfigNode.parse(yaml: text, file: file), case .mapping(let entries) = root.value
            else { return false }
            return entries.contains { $0.key == "tests" }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message(
                vi: "Chạy kiểm thử đơn vị của luật theo định dạng promtool (như `promtool test rules`).",
                en: "Run rule unit tests in promtool's format (like `promtool test rules`)."
            ).spoken,
            discussion: Message(
                vi: """
                    Mỗi tệp nêu các tệp luật của nó (tương đối so với chính nó), chuỗi đầu vào theo cách viết \
                    `0+10x100`, và các cảnh báo cùng kết quả truy vấn mong đợi tại những thời điểm cho trước. \
                    Thoát với mã 1 khi có kiểm thử không đạt.
                    """,
                en: """
                    Each file names its rule files (relative to itself), input series in the `0+10x100` \
                    notation, and the alerts and query results expected at given times. Exits 1 when any test \
                    fails.
                    """
            ).spoken)

        @Argument(help: .says(vi: "Các tệp kiểm thử.", en: "Test files."))
        var files: [String]

        func run() throws {
            var failed = false
            for file in files {
                let report = RuleUnitTest.run(file)
                print(report.text)
                if !report.passed { failed = true }
            }
            if failed { throw ExitCode(1) }
        }
    }
}

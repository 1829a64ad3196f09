import ArgumentParser
import Foundation
import IOCCore
import IOCDashboard
import IOCConfig
import IOCProbe
import IOCQuery
import IOCStore

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: Message(
            vi: "Ghi các mẫu của những chuỗi khớp ra văn bản OpenMetrics có dấu thời gian.",
            en: "Write the samples of matching series as OpenMetrics text with timestamps."
        ).spoken,
        discussion: Message(
            vi: """
                Đầu ra là thứ `promtool tsdb create-blocks-from openmetrics` đọc được, để chuyển lịch sử sang \
                Prometheus, và là thứ `ioc import` đọc lại. Không ghi các dấu hiệu cũ (staleness marker).
                Ví dụ: ioc export 'probe_success{province="Huế"}' --start 2026-11-01T00:00:00Z > hue.om
                """,
            en: """
                The output is what `promtool tsdb create-blocks-from openmetrics` reads, so history can move to \
                Prometheus, and what `ioc import` reads back. Staleness markers are left out.
                Example: ioc export 'probe_success{province="Huế"}' --start 2026-11-01T00:00:00Z > hue.om
                """
        ).spoken)

    @OptionGroup var store: StoreOptions

    @Argument(
        help: .says(
            vi: "Một bộ chọn, vd. probe_success{job=\"hue\"} hoặc {province=\"Huế\"}.",
            en: "A selector, e.g. probe_success{job=\"hue\"} or {province=\"Huế\"}."))
    var selector: String

    @Option(
        help: .says(
            vi: "Mẫu sớm nhất, dạng giây Unix hoặc RFC 3339. Mặc định: từ đầu.",
            en: "Earliest sample, as Unix seconds or RFC 3339. Default: the beginning."))
    var start: String?

    @Option(
        help: .says(
            vi: "Mẫu muộn nhất, dạng giây Unix hoặc RFC 3339. Mặc định: bây giờ.",
            en: "Latest sample, as Unix seconds or RFC 3339. Default: now."))
    var end: String?

    func validate() throws {
        for (name, value) in [("--start", start), ("--end", end)] {
            if let value { _ = try QueryCommand.time(value, name) }
        }
    }

    func run() throws {
        let parsed: Selector
        do {
            parsed = try Selector(parsing: selector)
        } catch {
            throw ValidationError("\(error)")
        }
        let from = try start.map { try QueryCommand.time($0, "--start") } ?? .min
        let through = try end.map { try QueryCommand.time($0, "--end") } ?? WallClock.nowMilliseconds()
        let path = store.path
        do {
            let reader = try StoreReader(path: path)
            let output = FileHandle.standardOutput
            let series = try reader.select(parsed.matchers, from: from, through: through)
            let count = OpenMetricsExport.write(series, metadata: try reader.metadata()) { output.write(Data($0.utf8)) }
            FileHandle.standardError.write(
                Data((store.language.localized("cmd.export.done", ["count": String(count)]) + "\n").utf8))
        } catch {
            FileHandle.standardError.write(Data("ioc export: \(store.language.describe(error))\n".utf8))
            throw ExitCode.failure
        }
    }
}

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: Message(
            vi: "Thêm các mẫu của một tệp OpenMetrics (như `ioc export` ghi) vào kho dữ liệu.",
            en: "Add the samples of an OpenMetrics file (as `ioc export` writes) to the store."
        ).spoken,
        discussion: Message(
            vi: """
                Tệp phải kết thúc bằng '# EOF'; dấu thời gian của mỗi chuỗi phải tăng dần. Không ghi gì nếu cả tệp \
                không phân tích được. Các mẫu kho đã có được giữ nguyên.
                """,
            en: """
                The file must end with '# EOF'; each series' timestamps must increase. Nothing is written \
                unless the whole file parses. Samples the store already has are kept as they are.
                """
        ).spoken)

    @OptionGroup var store: StoreOptions

    @Argument(
        help: .says(
            vi: "Tệp OpenMetrics, hoặc - để đọc từ đầu vào chuẩn.", en: "The OpenMetrics file, or - for standard input."
        ))
    var file: String

    /// Samples written per batch: memory stays bounded whatever the file's size.
    static let batchSize = 200_000

    func run() async throws {
        let file = self.file
        let path = store.path
        // SQLite and the file are read and written on a thread of their own, not the cooperative pool.
        // A file is held to the series limit of the daemon's configuration, as its feeds are.
        let maxSeries =
            StoreLocation.daemonConfig(store.config)?.maxSeries
            ?? DaemonConfig(file: "", storePath: path, probeFiles: []).maxSeries
        let status = try await BackgroundThread.run("ioc-import") {
            Self.importFile(file, into: path, maxSeries: maxSeries)
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// Imports `file` into the store at `path`; the exit status.
    private static func importFile(_ file: String, into path: String, maxSeries: Int) -> Int32 {
        let input: FileHandle
        if file == "-" {
            input = FileHandle.standardInput
        } else {
            guard let handle = FileHandle(forReadingAtPath: file) else {
                FileHandle.standardError.write(
                    Data(("ioc import: " + Language.ofCommand.localized("cmd.cannot_read", ["path": file]) + "\n").utf8)
                )
                return 1
            }
            input = handle
        }
        // A store that did not exist is not left behind, empty, by an import that fails.
        let existed = FileManager.default.fileExists(atPath: path)
        func removeIfNew() {
            guard !existed else { return }
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        func nothing(_ error: String) -> String { Language.ofCommand.localized("cmd.import.nothing", ["error": error]) }
        let importer: StoreImport
        do {
            importer = try StoreImport(path: path, maxSeries: maxSeries)
        } catch {
            FileHandle.standardError.write(Data("ioc import: \(Language.ofCommand.describe(error))\n".utf8))
            return 1
        }
        do {
            try Self.stream(input, into: importer, maxSeries: maxSeries)
        } catch let failure as ImportFailure {
            importer.rollback()
            removeIfNew()
            FileHandle.standardError.write(
                Data(("ioc import: " + nothing("\(file): \(TerminalText.sanitize(failure.message))") + "\n").utf8))
            return 65  // EX_DATAERR
        } catch {
            importer.rollback()
            removeIfNew()
            FileHandle.standardError.write(
                Data(("ioc import: " + nothing(TerminalText.sanitize("\(error)")) + "\n").utf8))
            return 1
        }
        let language = Language.ofCommand
        let refused =
            importer.refused > 0 ? language.localized("cmd.import.refused", ["count": String(importer.refused)]) : ""
        print(language.localized("cmd.import.done", ["count": String(importer.written), "path": path]) + refused)
        return 0
    }

    struct ImportFailure: Error {
        var message: String
    }

    /// Reads, checks and writes the file a block at a time, and commits at its end.
    private static func stream(_ input: FileHandle, into importer: StoreImport, maxSeries: Int) throws {
        // History may be old, but not outside what the store can hold, and its names obey the same
        // rules as a feed's: the file is refused whole, and the store is left as it was.
        let names = SampleAdmission(maxLabels: 1000, maxLabelValueBytes: 1 << 20)
        var parser = HistoryStream(
            defaultTimestamp: WallClock.nowMilliseconds(), timestamps: SampleAdmission.storableTimestamps,
            maxSeries: maxSeries, admit: { names.check($0)?.rawValue })
        var batch: [LabeledSample] = []
        batch.reserveCapacity(batchSize + 10_000)
        func flush() throws {
            // `ioc export` writes every family as `unknown`: that says nothing about the real type.
            let metadata = parser.metadata.mapValues {
                MetricMetadata(type: $0.type == "unknown" ? nil : $0.type, help: $0.help, unit: $0.unit)
            }
            try importer.write(batch, metadata: metadata)
            batch.removeAll(keepingCapacity: true)
        }
        do {
            while true {
                let block = input.readData(ofLength: 4 << 20)
                if block.isEmpty { break }
                try parser.feed(block, into: &batch)
                if batch.count >= batchSize { try flush() }
            }
            try parser.finish(into: &batch)
        } catch let error as HistoryStream.ParseError {
            throw ImportFailure(message: "\(error)")
        }
        try flush()
        try importer.commit()
    }
}

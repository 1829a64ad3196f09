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
        abstract: "Write the samples of matching series as OpenMetrics text with timestamps.",
        discussion: """
            The output is what `promtool tsdb create-blocks-from openmetrics` reads, so history can move to \
            Prometheus, and what `ioc import` reads back. Staleness markers are left out.
            Example: ioc export 'probe_success{province="Huế"}' --start 2026-11-01T00:00:00Z > hue.om
            """)

    @OptionGroup var store: StoreOptions

    @Argument(help: "A selector, e.g. probe_success{job=\"hue\"} or {province=\"Huế\"}.")
    var selector: String

    @Option(help: "Earliest sample, as Unix seconds or RFC 3339. Default: the beginning.")
    var start: String?

    @Option(help: "Latest sample, as Unix seconds or RFC 3339. Default: now.")
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
            FileHandle.standardError.write(Data("ioc export: \(count) samples\n".utf8))
        } catch {
            FileHandle.standardError.write(Data("ioc export: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Add the samples of an OpenMetrics file (as `ioc export` writes) to the store.",
        discussion: """
            The file must end with '# EOF'; each series' timestamps must increase. Nothing is written \
            unless the whole file parses. Samples the store already has are kept as they are.
            """)

    @OptionGroup var store: StoreOptions

    @Argument(help: "The OpenMetrics file, or - for standard input.")
    var file: String

    func run() throws {
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: file) else {
                FileHandle.standardError.write(Data("ioc import: cannot read \(file)\n".utf8))
                throw ExitCode.failure
            }
            data = contents
        }
        let parsed: ExpositionParser.Result
        do {
            parsed = try ExpositionParser(format: .openMetrics, sampleLimit: .max, history: true)
                .parse(Array(data), defaultTimestamp: WallClock.nowMilliseconds())
        } catch {
            FileHandle.standardError.write(Data("ioc import: \(file): \(error)\n".utf8))
            throw ExitCode(65)  // EX_DATAERR
        }
        // History may be old, but not outside what the store can hold, and its names obey the same
        // rules as a feed's: the file is refused whole, and the store is left as it was.
        let bounds = SampleAdmission.storableTimestamps
        let names = SampleAdmission(maxLabels: 1000, maxLabelValueBytes: 1 << 20)
        for item in parsed.samples {
            let refusal =
                !bounds.contains(item.sample.timestamp)
                ? "has the time \(item.sample.timestamp) ms, outside the years 1 to 9999 that a store holds"
                : names.check(item.labels).map { "is refused (\($0.rawValue))" }
            guard let refusal else { continue }
            FileHandle.standardError.write(
                Data(
                    "ioc import: \(file): \(TerminalText.sanitize(item.labels.description)) \(refusal); nothing was imported\n"
                        .utf8))
            throw ExitCode(65)  // EX_DATAERR
        }
        let path = store.path
        do {
            let writer = try SampleWriter(path: path, capacity: max(1, parsed.samples.count))
            writer.append(parsed.samples)
            // `ioc export` writes every family as `unknown`: that says nothing about the real type.
            writer.record(
                metadata: parsed.metadata.mapValues {
                    MetricMetadata(type: $0.type == "unknown" ? nil : $0.type, help: $0.help, unit: $0.unit)
                })
            writer.close()
            if let error = writer.lastError { throw error }
            print("ioc import: \(parsed.samples.count) samples into \(path)")
        } catch {
            FileHandle.standardError.write(Data("ioc import: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

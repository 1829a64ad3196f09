import ArgumentParser
import Foundation
import IOCCore
import IOCDaemon
import IOCQuery
import IOCStore

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Evaluate a selector at one instant and print each matching series' value.",
        discussion: """
            Prints one line per series, as promtool does: metric{labels} => value @[unix seconds]. \
            Each series shows its latest sample at most 5 minutes before --time (Prometheus' lookback).
            Example: ioc query 'probe_success{province="Huế"}'
            """)

    @OptionGroup var store: StoreOptions

    @Argument(help: "A selector, e.g. probe_success{province=\"Huế\"}.")
    var expression: String

    @Option(help: "Evaluation time as Unix seconds (decimals allowed). Default: now.")
    var time: Double?

    func run() throws {
        let query: InstantQuery
        do {
            query = try InstantQuery(parsing: expression)
        } catch {
            throw ValidationError("\(error)")
        }
        let path = StoreLocation.resolve(db: store.db, config: store.config)
        let at = time.map { Int64(($0 * 1000).rounded()) } ?? WallClock.nowMilliseconds()
        do {
            let reader = try StoreReader(path: path)
            for sample in try query.evaluate(at: at, on: reader) {
                print(sample.promtoolLine)
            }
        } catch {
            FileHandle.standardError.write(Data("ioc query: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

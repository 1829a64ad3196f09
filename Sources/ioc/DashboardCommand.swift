import ArgumentParser
import Foundation
import IOCCore
import IOCDaemon
import IOCDashboard

struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Show the live status of every probed target in the terminal.",
        discussion: "Keys: q or Ctrl-C quits, Ctrl-L redraws, Ctrl-Z suspends. NO_COLOR turns colours off.")

    @OptionGroup var store: StoreOptions

    @Option(help: "Print one frame of this size (e.g. 100x30) as plain text and exit.")
    var snapshot: String?

    @Option(help: "How often the screen refreshes, as a duration (e.g. 1s, 500ms).")
    var refresh = "1s"

    func validate() throws {
        if let snapshot, Self.size(snapshot) == nil {
            throw ValidationError("'\(snapshot)' is not a size; expected WIDTHxHEIGHT, e.g. 100x30")
        }
        guard let duration = Duration(prometheus: refresh), duration >= .milliseconds(100) else {
            throw ValidationError("'\(refresh)' is not a refresh interval of at least 100ms")
        }
    }

    static func size(_ text: String) -> (Int, Int)? {
        let parts = text.lowercased().split(separator: "x")
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]),
            (20...1000).contains(width), (5...500).contains(height)
        else { return nil }
        return (width, height)
    }

    func run() throws {
        ProcessMemory.keepFreedMemoryForReuse()
        let dashboard = Dashboard(
            storePath: StoreLocation.resolve(db: store.db, config: store.config),
            refresh: Duration(prometheus: refresh) ?? .seconds(1))
        if let snapshot, let (width, height) = Self.size(snapshot) {
            print(dashboard.snapshot(width: width, height: height))
            return
        }
        do {
            try dashboard.run()
        } catch {
            FileHandle.standardError.write(Data("ioc dashboard: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

import ArgumentParser
import Foundation
import IOCCore
import IOCDashboard
import IOCConfig
import IOCQuery
import IOCStore

struct SilenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "silence",
        abstract: "Silence alerts for a while (a known outage), list silences, end one.",
        subcommands: [Add.self, List.self, Expire.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a silence: alerts whose labels match every matcher are not sent.",
            discussion: """
                Matchers as in Alertmanager and PromQL: 'province="Huế"', 'service=~"dvc|lgsp"', \
                'severity!="critical"'; a value without quotes is taken as it is written (province=Huế). \
                A silenced alert that was already sent still sends its resolution. --start sets an \
                announced maintenance in advance. Prints the silence's id.
                Example: ioc silence add province=Huế service=lgsp --for 2h --comment "LGSP upgrade" --author an
                """)

        @OptionGroup var store: StoreOptions

        @Argument(help: "Matchers, all of which an alert must satisfy.")
        var matchers: [String]

        @Option(name: .customLong("for"), help: "How long, as a duration (2h, 30m, 1d). Default: 1h.")
        var duration = "1h"

        @Option(help: "When it starts: RFC 3339, Unix seconds, or 'now' (the default).")
        var start: String?

        @Option(help: "Why, for the other operators.")
        var comment: String

        @Option(help: "Who. Default: $SUDO_USER or $USER.")
        var author: String?

        func validate() throws {
            guard !matchers.isEmpty else { throw ValidationError("give at least one matcher, like 'province=\"Huế\"'") }
            guard let length = Duration(prometheus: duration), length > .zero else {
                throw ValidationError("--for '\(duration)' is not a duration like 2h")
            }
            guard !comment.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("--comment must say why")
            }
        }

        func run() throws {
            let text = "{" + matchers.map(LabelMatcher.quotingValue).joined(separator: ",") + "}"
            let selector: Selector
            do {
                selector = try Selector(parsing: text)
                guard !selector.matchers.allSatisfy(\.matchesEmpty) else {
                    throw ValidationError("these matchers would silence every alert; name at least one label value")
                }
            } catch let error as ValidationError {
                throw error
            } catch {
                throw ValidationError("\(error)")
            }
            let environment = ProcessInfo.processInfo.environment
            let who = author ?? environment["SUDO_USER"] ?? environment["USER"] ?? "unknown"
            let now = try start.map { try QueryCommand.time($0, "--start") } ?? WallClock.nowMilliseconds()
            let length = Duration(prometheus: duration)?.inMilliseconds ?? 3_600_000
            let id = UUID().uuidString.lowercased()
            let path = store.path
            do {
                try SilenceStore(path: path).add(
                    Silence(
                        id: id, matchers: selector.matchers, text: text, startsAt: now, endsAt: now + length,
                        createdBy: who, comment: comment))
            } catch {
                FileHandle.standardError.write(Data("ioc silence: \(error)\n".utf8))
                throw ExitCode.failure
            }
            print(id)
        }

        /// The matchers of command-line arguments (`province=Huế`, `'service=~"dvc|lgsp"'`).
        static func matchers(_ arguments: [String]) throws -> [LabelMatcher] {
            guard !arguments.isEmpty else { return [] }
            let text = "{" + arguments.map(LabelMatcher.quotingValue).joined(separator: ",") + "}"
            do {
                return try Selector(parsing: text).matchers
            } catch {
                throw ValidationError("\(error)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List active silences (--all: ended ones too).")

        @OptionGroup var store: StoreOptions

        @Flag(help: "Include silences that have ended.")
        var all = false

        @Flag(
            name: .shortAndLong, help: "Print only the ids, one a line (as amtool's -q): `| xargs ioc silence expire`.")
        var quiet = false

        func run() throws {
            let path = store.path
            let now = WallClock.nowMilliseconds()
            do {
                let silences = try StoreReader(path: path).silences(parsing: Selector.matchers(parsing:)).filter {
                    all || $0.endsAt > now
                }
                if quiet {
                    // An id is data from the store: nothing in it may act on the terminal.
                    for silence in silences { print(TerminalText.sanitize(silence.id)) }
                    return
                }
                if silences.isEmpty {
                    print(all ? "no silences" : "no active silences")
                    return
                }
                let rows = silences.map { silence in
                    [
                        silence.id, silence.endsAt > now ? "active" : "ended",
                        UTCTime.display(silence.endsAt),
                        silence.text, silence.createdBy, silence.comment,
                    ]
                }
                AlertsCommand.printTable(["ID", "STATE", "ENDS", "MATCHERS", "BY", "COMMENT"], rows)
            } catch {
                FileHandle.standardError.write(Data("ioc silence: \(error)\n".utf8))
                throw ExitCode.failure
            }
        }
    }

    struct Expire: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End a silence now.")

        @OptionGroup var store: StoreOptions

        @Argument(
            help: "The silences' ids (from `ioc silence list`, or `ioc silence list -q | xargs ioc silence expire`).")
        var ids: [String]

        func run() throws {
            let path = store.path
            var missing: [String] = []
            do {
                let silences = try SilenceStore(path: path)
                for id in ids {
                    if try silences.expire(id, at: WallClock.nowMilliseconds()) {
                        print("silence \(id) ended")
                    } else {
                        missing.append(id)
                    }
                }
            } catch {
                FileHandle.standardError.write(Data("ioc silence: \(error)\n".utf8))
                throw ExitCode.failure
            }
            guard missing.isEmpty else {
                FileHandle.standardError.write(
                    Data("ioc silence: no active silence \(missing.joined(separator: ", "))\n".utf8))
                throw ExitCode.failure
            }
        }
    }
}

import ArgumentParser
import Foundation
import IOCClient
import IOCCore
import IOCDashboard
import IOCHTTP
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

        @Option(
            help: "Use the API of a running iocd instead of the store: http://USER:PASSWORD@HOST:9420 (as amtool).")
        var source: String?

        func validate() throws {
            if let source { try OutputFormat.checkSource(source) }
            guard !matchers.isEmpty else { throw ValidationError.say("cmd.silence.no_matcher") }
            guard let length = Duration(prometheus: duration), length > .zero else {
                throw ValidationError.say("cmd.silence.bad_for", ["value": duration])
            }
            guard !comment.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError.say("cmd.silence.no_comment")
            }
        }

        func run() throws {
            let text = "{" + matchers.map(LabelMatcher.quotingValue).joined(separator: ",") + "}"
            let selector: Selector
            do {
                selector = try Selector(parsing: text)
                guard !selector.matchers.allSatisfy(\.matchesEmpty) else {
                    throw ValidationError.say("cmd.silence.matches_all")
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
            var id = UUID().uuidString.lowercased()
            let silence = Silence(
                id: id, matchers: selector.matchers, text: text, startsAt: now, endsAt: now + length, createdBy: who,
                comment: comment)
            do {
                if let source {
                    let client = HTTPClient(maxInFlight: 1)
                    defer { client.shutdown() }
                    id = try RemoteAlertmanager(base: source, client: client).add(silence)
                } else {
                    try SilenceStore(path: store.path).add(silence)
                }
            } catch {
                FileHandle.standardError.write(Data("ioc silence: \(store.language.describe(error))\n".utf8))
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

        @Option(name: .shortAndLong, help: "How to print them: text (a table) or json (one object per line).")
        var output: OutputFormat = .text

        @Option(
            help: "Use the API of a running iocd instead of the store: http://USER:PASSWORD@HOST:9420 (as amtool).")
        var source: String?

        func validate() throws { if let source { try OutputFormat.checkSource(source) } }

        func run() throws {
            let now = WallClock.nowMilliseconds()
            do {
                let kept: [Silence]
                if let source {
                    let client = HTTPClient(maxInFlight: 1)
                    defer { client.shutdown() }
                    kept = try RemoteAlertmanager(base: source, client: client).silences()
                } else {
                    kept = try StoreReader(path: store.path).silences(parsing: Selector.matchers(parsing:))
                }
                let silences = kept.filter { all || $0.endsAt > now }
                if output == .json {
                    for silence in silences {
                        print(
                            OutputFormat.line([
                                "id": silence.id, "matchers": silence.text,
                                "starts_at": UTCTime.rfc3339(silence.startsAt),
                                "ends_at": UTCTime.rfc3339(silence.endsAt), "created_by": silence.createdBy,
                                "comment": silence.comment, "state": silence.endsAt > now ? "active" : "ended",
                            ]))
                    }
                    return
                }
                if quiet {
                    // An id is data from the store: nothing in it may act on the terminal.
                    for silence in silences { print(TerminalText.sanitize(silence.id)) }
                    return
                }
                let language = store.language
                if silences.isEmpty {
                    print(language.localized(all ? "silence.none" : "silence.none_active"))
                    return
                }
                let rows = silences.map { silence in
                    [
                        silence.id,
                        language.localized(silence.endsAt > now ? "silence.state.active" : "silence.state.ended"),
                        UTCTime.display(silence.endsAt, language: language),
                        silence.text, silence.createdBy, silence.comment,
                    ]
                }
                AlertsCommand.printTable(
                    ["id", "state", "ends", "matchers", "by", "comment"].map {
                        language.localized("silence.header." + $0)
                    },
                    rows)
            } catch {
                FileHandle.standardError.write(Data("ioc silence: \(store.language.describe(error))\n".utf8))
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

        @Option(
            help: "Use the API of a running iocd instead of the store: http://USER:PASSWORD@HOST:9420 (as amtool).")
        var source: String?

        func validate() throws { if let source { try OutputFormat.checkSource(source) } }

        func run() throws {
            var missing: [String] = []
            do {
                let expire: (String) throws -> Bool
                let client = source.map { _ in HTTPClient(maxInFlight: 1) }
                defer { client?.shutdown() }
                if let source, let client {
                    let remote = RemoteAlertmanager(base: source, client: client)
                    expire = { try remote.expire($0) }
                } else {
                    let silences = try SilenceStore(path: store.path)
                    expire = { try silences.expire($0, at: WallClock.nowMilliseconds()) }
                }
                for id in ids {
                    if try expire(id) {
                        print(store.language.localized("silence.ended", ["id": id]))
                    } else {
                        missing.append(id)
                    }
                }
            } catch {
                FileHandle.standardError.write(Data("ioc silence: \(store.language.describe(error))\n".utf8))
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

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
        abstract: Message(
            vi: "Tắt báo cảnh báo trong một thời gian (sự cố đã biết), liệt kê, kết thúc lệnh tắt báo.",
            en: "Silence alerts for a while (a known outage), list silences, end one."
        ).spoken,
        subcommands: [Add.self, List.self, Expire.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: Message(
                vi: "Thêm lệnh tắt báo: cảnh báo có nhãn khớp mọi điều kiện sẽ không được gửi.",
                en: "Add a silence: alerts whose labels match every matcher are not sent."
            ).spoken,
            discussion: Message(
                vi: """
                    Điều kiện như trong Alertmanager và PromQL: 'province="Huế"', 'service=~"dvc|lgsp"', \
                    'severity!="critical"'; giá trị không có dấu nháy được lấy đúng như viết (province=Huế). Một \
                    cảnh báo bị tắt báo mà đã được gửi vẫn gửi tin đã hết. --start đặt trước một đợt bảo trì đã \
                    thông báo. In mã của lệnh tắt báo.
                    Ví dụ: ioc silence add province=Huế service=lgsp --for 2h --comment "Nâng cấp LGSP" --author \
                    an
                    """,
                en: """
                    Matchers as in Alertmanager and PromQL: 'province="Huế"', 'service=~"dvc|lgsp"', \
                    'severity!="critical"'; a value without quotes is taken as it is written (province=Huế). \
                    A silenced alert that was already sent still sends its resolution. --start sets an \
                    announced maintenance in advance. Prints the silence's id.
                    Example: ioc silence add province=Huế service=lgsp --for 2h --comment "LGSP upgrade" --author an
                    """
            ).spoken)

        @OptionGroup var store: StoreOptions

        @Argument(
            help: .says(
                vi: "Các điều kiện, cảnh báo phải thỏa tất cả.", en: "Matchers, all of which an alert must satisfy."))
        var matchers: [String]

        @Option(
            name: .customLong("for"),
            help: .says(
                vi: "Bao lâu, dạng thời lượng (2h, 30m, 1d). Mặc định: 1h.",
                en: "How long, as a duration (2h, 30m, 1d). Default: 1h."))
        var duration = "1h"

        @Option(
            help: .says(
                vi: "Khi nào bắt đầu: RFC 3339, giây Unix, hoặc 'now' (mặc định).",
                en: "When it starts: RFC 3339, Unix seconds, or 'now' (the default)."))
        var start: String?

        @Option(help: .says(vi: "Lý do, để các cán bộ trực khác biết.", en: "Why, for the other operators."))
        var comment: String

        @Option(
            help: .says(vi: "Người tạo. Mặc định: $SUDO_USER hoặc $USER.", en: "Who. Default: $SUDO_USER or $USER."))
        var author: String?

        @Option(
            help: .says(
                vi:
                    "Dùng API của một iocd đang chạy thay cho kho dữ liệu: http://USER:PASSWORD@HOST:9420 (như amtool).",
                en: "Use the API of a running iocd instead of the store: http://USER:PASSWORD@HOST:9420 (as amtool)."))
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
        static let configuration = CommandConfiguration(
            abstract: Message(
                vi: "Liệt kê các lệnh tắt báo đang hiệu lực (--all: cả lệnh đã hết).",
                en: "List active silences (--all: ended ones too)."
            ).spoken)

        @OptionGroup var store: StoreOptions

        @Flag(help: .says(vi: "Kể cả các lệnh tắt báo đã hết.", en: "Include silences that have ended."))
        var all = false

        @Flag(
            name: .shortAndLong,
            help: .says(
                vi: "Chỉ in mã, mỗi dòng một mã (như -q của amtool): `| xargs ioc silence expire`.",
                en: "Print only the ids, one a line (as amtool's -q): `| xargs ioc silence expire`."))
        var quiet = false

        @Option(
            name: .shortAndLong,
            help: .says(
                vi: "Cách in: text (một bảng) hoặc json (mỗi dòng một đối tượng).",
                en: "How to print them: text (a table) or json (one object per line)."))
        var output: OutputFormat = .text

        @Option(
            help: .says(
                vi:
                    "Dùng API của một iocd đang chạy thay cho kho dữ liệu: http://USER:PASSWORD@HOST:9420 (như amtool).",
                en: "Use the API of a running iocd instead of the store: http://USER:PASSWORD@HOST:9420 (as amtool)."))
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
        static let configuration = CommandConfiguration(
            abstract: Message(vi: "Kết thúc một lệnh tắt báo ngay bây giờ.", en: "End a silence now.").spoken)

        @OptionGroup var store: StoreOptions

        @Argument(
            help: .says(
                vi:
                    "Mã của các lệnh tắt báo (từ `ioc silence list`, hoặc `ioc silence list -q | xargs ioc silence expire`).",
                en: "The silences' ids (from `ioc silence list`, or `ioc silence list -q | xargs ioc silence expire`).")
        )
        var ids: [String]

        @Option(
            help: .says(
                vi:
                    "Dùng API của một iocd đang chạy thay cho kho dữ liệu: http://USER:PASSWORD@HOST:9420 (như amtool).",
                en: "Use the API of a running iocd instead of the store: http://USER:PASSWORD@HOST:9420 (as amtool)."))
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

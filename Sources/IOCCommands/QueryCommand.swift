import ArgumentParser
import Foundation
import IOCCore
import IOCDashboard
import IOCConfig
import IOCHTTP
import IOCQuery
import IOCStore
import IOCClient

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: Message(
            vi: "Tính một biểu thức PromQL tại một thời điểm, hoặc trong một khoảng thời gian.",
            en: "Evaluate a PromQL expression at one instant, or over a range of time."
        ).spoken,
        discussion: Message(
            vi: """
                Truy vấn tức thời in mỗi chuỗi một dòng, như promtool: metric{labels} => giá_trị @[giây unix]. \
                Truy vấn theo khoảng (--start, --end, --step) in mỗi chuỗi rồi đến các điểm của nó. --json in \
                trường `data` trong câu trả lời /api/v1/query hoặc query_range của Prometheus.
                Thời gian là giây Unix (được có phần thập phân), RFC 3339, now, today, yesterday (nửa đêm giờ Việt \
                Nam) hoặc tương đối so với bây giờ (--start=-1h); bước là thời lượng như 60s hoặc số giây.
                Ví dụ:
                  ioc query 'probe_success{province="Huế"}'
                  ioc query 'sum by (province) (rate(probe_http_duration_seconds_count[5m]))' --time 2026-11-29T10:00:00Z
                  ioc query 'avg(probe_duration_seconds)' --start 2026-11-29T00:00:00Z --end 2026-11-29T06:00:00Z --step 5m
                """,
            en: """
                An instant query prints one line per series, as promtool does: metric{labels} => value \
                @[unix seconds]. A range query (--start, --end, --step) prints each series followed by its \
                points. --json prints the `data` field of Prometheus' /api/v1/query or query_range answer.
                Times are Unix seconds (decimals allowed), RFC 3339, now, today, yesterday (midnight in Viet \
                Nam) or relative to now (--start=-1h); steps are durations such as 60s or seconds.
                Examples:
                  ioc query 'probe_success{province="Huế"}'
                  ioc query 'sum by (province) (rate(probe_http_duration_seconds_count[5m]))' --time 2026-11-29T10:00:00Z
                  ioc query 'avg(probe_duration_seconds)' --start 2026-11-29T00:00:00Z --end 2026-11-29T06:00:00Z --step 5m
                """
        ).spoken)

    @OptionGroup var store: StoreOptions

    @Argument(help: .says(vi: "Một biểu thức PromQL.", en: "A PromQL expression."))
    var expression: String

    @Option(
        help: .says(
            vi: "Thời điểm tính của truy vấn tức thời. Mặc định: bây giờ.",
            en: "Evaluation time of an instant query. Default: now."))
    var time: String?

    @Option(help: .says(vi: "Đầu khoảng của truy vấn theo khoảng.", en: "Start of a range query."))
    var start: String?

    @Option(
        help: .says(
            vi: "Cuối khoảng của truy vấn theo khoảng. Mặc định: bây giờ.", en: "End of a range query. Default: now."))
    var end: String?

    @Option(
        help: .says(vi: "Bước của truy vấn theo khoảng. Mặc định: 60s.", en: "Step of a range query. Default: 60s."))
    var step: String?

    @Flag(
        help: .says(
            vi: "In JSON của Prometheus (trường `data` trong câu trả lời của API HTTP).",
            en: "Print Prometheus' JSON (the `data` field of the HTTP API's answer)."))
    var json = false

    @Option(
        help: .says(
            vi: "Hỏi API tương thích Prometheus này (một iocd khác, một Prometheus trung tâm) thay cho kho dữ liệu.",
            en: "Ask this Prometheus-compatible API (another iocd, a central Prometheus) instead of the store."))
    var source: String?

    func run() throws {
        ProcessMemory.keepFreedMemoryForReuse()
        let query: Query
        do {
            query = try Query(parsing: expression)
        } catch {
            throw ValidationError("\(error)")
        }
        let now = WallClock.nowMilliseconds()
        let isRange = start != nil || end != nil || step != nil
        if isRange && time != nil {
            throw ValidationError.say("cmd.query.time_with_range")
        }
        if isRange && start == nil { throw ValidationError.say("cmd.query.needs_start") }
        // The arguments are checked before the store is opened or the source asked.
        let from = try start.map { try QueryCommand.time($0, "--start") } ?? now
        let through = try end.map { try QueryCommand.time($0, "--end") } ?? now
        let resolution = try step.map { try QueryCommand.step($0) } ?? 60_000
        let at = try time.map { try QueryCommand.time($0, "--time") } ?? now
        // The same query, asked of another API (--source) or of the store.
        let instant: (Int64) throws -> QueryValue
        let range: (Int64, Int64, Int64) throws -> [Series]
        var client: HTTPClient?
        defer { client?.shutdown() }
        do {
            if let source {
                try OutputFormat.checkSource(source)
                let remote = RemoteQuery(base: source, client: HTTPClient(maxInFlight: 1))
                client = remote.client
                instant = { try remote.instant(expression, at: $0) }
                range = { try remote.range(expression, start: $0, end: $1, step: $2) }
            } else {
                let reader = try StoreReader(path: store.path)
                let engine = Engine()
                instant = { try engine.instant(query, at: $0, source: reader) }
                range = { try engine.range(query, start: $0, end: $1, step: $2, source: reader) }
            }
            if isRange {
                let series = try range(from, through, resolution)
                print(json ? QueryOutput.json(series) : QueryCommand.safe(QueryOutput.text(series)), terminator: "")
            } else {
                let value = try instant(at)
                print(
                    json ? QueryOutput.json(value, at: at) : QueryCommand.safe(QueryOutput.text(value, at: at)),
                    terminator: "")
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("ioc query: \(store.language.describe(error))\n".utf8))
            throw ExitCode.failure
        }
    }

    /// Unix seconds with decimals, or RFC 3339, to milliseconds.
    /// Also `now`, a time relative to now (`-1h`, `+30m`), and `today` or `yesterday` (midnight in
    /// Viet Nam, UTC+7).
    static func time(_ text: String, _ option: String, now: Int64 = WallClock.nowMilliseconds()) throws -> Int64 {
        if let time = QueryOutput.time(text) { return time }
        if let time = relativeTime(text, now: now) { return time }
        throw ValidationError.say("cmd.query.bad_time", ["option": option, "value": text])
    }

    static func relativeTime(_ text: String, now: Int64) -> Int64? {
        let offsetOfVietnam: Int64 = 7 * 3_600_000
        let midnight = (now + offsetOfVietnam) / 86_400_000 * 86_400_000 - offsetOfVietnam
        switch text.lowercased() {
        case "now": return now
        case "today": return midnight
        case "yesterday": return midnight - 86_400_000
        default: break
        }
        guard let sign = text.first, sign == "-" || sign == "+",
            let duration = Duration(prometheus: String(text.dropFirst()))
        else { return nil }
        return sign == "-" ? now - duration.inMilliseconds : now + duration.inMilliseconds
    }

    /// A duration (`60s`, `5m`, `1h30m`) or seconds, to milliseconds.
    static func step(_ text: String) throws -> Int64 {
        if let step = QueryOutput.duration(text) { return step }
        throw ValidationError.say("cmd.query.bad_step", ["value": text])
    }

    /// Query output for a terminal: stored label values may hold escape sequences, which are shown
    /// as text, never obeyed.
    static func safe(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { TerminalText.sanitize(String($0)) }
            .joined(separator: "\n")
    }
}

import ArgumentParser
import Foundation
import IOCCore
import IOCConfig
import IOCStore
import IOCReport

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: Message(
            vi: "Lập bảng xếp hạng theo Quyết định 766 và bảng mức sẵn sàng của một kỳ, cho lãnh đạo.",
            en: "Write the Decision 766 ranking and the availability table of a period, for leadership."
        ).spoken,
        discussion: Message(
            vi: """
                Đọc kho dữ liệu: các bảng điểm mà rules/scorecard-766.yaml đã ghi (ioc766:total_points, \
                ioc766:group_points, ioc766:band, period="current") và kết quả đo (probe_success, với \
                ioc_service_hours cho cột giờ phục vụ). Kỳ là kỳ theo lịch của Asia/Ho_Chi_Minh (UTC+7): một năm \
                (2026), một quý (2026-Q3) hoặc một tháng (2026-11). Điểm của tháng là điểm ghi cuối cùng trong \
                tháng; của quý hay năm là trung bình các tháng. Cùng kho dữ liệu và cùng kỳ luôn cho cùng báo cáo; \
                kỳ chưa kết thúc được báo đến hiện tại và có ghi rõ.
                Ví dụ:
                  ioc report --period 2026-11
                  ioc report --period 2026-Q3 --format csv > scorecard-2026-Q3.csv
                  ioc report --period 2026-11 --format html --output bao-cao-2026-11.html
                Ngôn ngữ là --lang, nếu không thì $IOC_LANG, nếu không thì locale (vi_VN, en_US), nếu không thì \
                language của iocd.yaml, nếu không nữa thì tiếng Việt. Tệp CSV bắt đầu bằng dấu thứ tự byte của \
                UTF-8 để Excel đọc đúng tên tiếng Việt; trang HTML in vừa khổ A4.
                """,
            en: """
                Reads the store: the scorecards that rules/scorecard-766.yaml recorded (ioc766:total_points, \
                ioc766:group_points, ioc766:band, period="current") and the probe results (probe_success, with \
                ioc_service_hours for the service-hours column). Periods are calendar periods of Asia/Ho_Chi_Minh \
                (UTC+7): a year (2026), a quarter (2026-Q3) or a month (2026-11). A month's score is the last \
                recorded in it; a quarter's or year's, the mean of its months'. The same store and period always \
                give the same report; a period not over yet is reported up to now and says so.
                Examples:
                  ioc report --period 2026-11
                  ioc report --period 2026-Q3 --format csv > scorecard-2026-Q3.csv
                  ioc report --period 2026-11 --format html --output bao-cao-2026-11.html
                The language is --lang, else $IOC_LANG, else the locale (vi_VN, en_US), else iocd.yaml's \
                language, else Vietnamese. The CSV starts with UTF-8's byte order mark, so that Excel reads \
                Vietnamese names; the HTML page prints on A4.
                """
        ).spoken)

    @OptionGroup var store: StoreOptions

    @Option(
        help: .says(
            vi: "Kỳ báo cáo: YYYY, YYYY-Qn hoặc YYYY-MM (vd. 2026, 2026-Q3, 2026-11).",
            en: "The period: YYYY, YYYY-Qn or YYYY-MM (e.g. 2026, 2026-Q3, 2026-11)."))
    var period: String

    @Option(
        help: .says(
            vi: "md (Markdown, mặc định), csv (cho bảng tính) hoặc html (trang để in).",
            en: "md (Markdown, the default), csv (for a spreadsheet) or html (a page to print)."))
    var format = "md"

    @Option(
        help: .says(
            vi: "vi (tiếng Việt) hoặc en (tiếng Anh). Mặc định: $IOC_LANG, locale, language của iocd.yaml, vi.",
            en: "vi (Vietnamese) or en (English). Default: $IOC_LANG, the locale, iocd.yaml's language, vi."))
    var lang: String?

    @Option(
        help: .says(
            vi: "Ghi báo cáo vào tệp này thay cho đầu ra chuẩn.",
            en: "Write the report to this file instead of standard output."))
    var output: String?

    func validate() throws {
        guard CalendarPeriod(parsing: period) != nil else {
            throw ValidationError.say("cmd.report.bad_period", ["value": period])
        }
        guard ["md", "csv", "html"].contains(format) else {
            throw ValidationError.say("cmd.report.bad_format", ["value": format])
        }
        if let lang, Language(rawValue: lang) == nil {
            throw ValidationError.say("cmd.report.bad_lang", ["value": lang])
        }
    }

    func run() throws {
        guard let period = CalendarPeriod(parsing: period) else { throw ExitCode.validationFailure }
        let reader = try StoreReader(path: store.path)
        let report = try PeriodReport(period: period, source: reader, now: WallClock.nowMilliseconds())
        let language =
            lang.flatMap(Language.init(rawValue:))
            ?? Language.resolve(
                environment: ProcessInfo.processInfo.environment,
                configured: StoreLocation.daemonConfig(store.config)?.language)
        let text: String
        switch format {
        case "csv": text = report.csv(language)
        case "html": text = report.html(language)
        default: text = report.markdown(language)
        }
        if let output {
            try writeWhole(text, to: output)
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}

public import IOCCore

/// Every word of the report in Vietnamese and English: headings, columns, the Decision 766 groups
/// and bands as the decision writes them, and the notes under the tables.
public enum ReportText {
    static let title = Message(vi: "Báo cáo vận hành", en: "Operations report")
    static let periodWord = Message(vi: "Kỳ báo cáo", en: "Period")
    static let to = Message(vi: "đến", en: "to")
    static let zone = Message(vi: "giờ Việt Nam, UTC+7", en: "UTC+7, Asia/Ho_Chi_Minh")
    static let notOver = Message(vi: "kỳ chưa kết thúc: số liệu đến", en: "not over: figures up to")
    static let ranking = Message(vi: "Xếp hạng theo Quyết định 766", en: "Decision 766 ranking")
    static let noScorecard = Message(
        vi: "Kho dữ liệu không có bảng điểm cho kỳ này (rules/scorecard-766.yaml trên các nguồn hồ sơ).",
        en: "No scorecard in the store for this period (rules/scorecard-766.yaml over the dossier feeds).")
    static let monthNote = Message(
        vi: "Điểm là số liệu cuối cùng ghi nhận trong tháng.",
        en: "Scores are those of the last figures recorded in the month.")
    static let meanNote = Message(
        vi: "Điểm là trung bình điểm các tháng; xếp loại là của tháng cuối.",
        en: "Scores are the mean of the months' scores; the band is that of the last month.")
    static let availability = Message(vi: "Mức sẵn sàng", en: "Availability")
    static let noProbes = Message(
        vi: "Kho dữ liệu không có kết quả kiểm tra cho kỳ này.", en: "No probe results in the store for this period.")
    static let noServiceHours = Message(
        vi: "Không có số liệu giờ phục vụ: iocd.yaml không có lịch service_hours, hoặc iocd không chạy.",
        en: "No service-hours figures: iocd.yaml has no service_hours calendar, or it was not running.")
    static let rank = Message(vi: "Hạng", en: "Rank")
    static let unit = Message(vi: "Đơn vị", en: "Unit")
    static let province = Message(vi: "Tỉnh, thành phố", en: "Province")
    static let code = Message(vi: "Mã", en: "Code")
    static let total = Message(vi: "Tổng điểm", en: "Total")
    static let band = Message(vi: "Xếp loại", en: "Band")
    static let change = Message(vi: "Thay đổi", en: "Change")
    static let allHours = Message(vi: "Sẵn sàng 24×7 (%)", en: "24×7 (%)")
    static let serviceHours = Message(vi: "Sẵn sàng trong giờ phục vụ (%)", en: "Service hours (%)")
    static let probes = Message(vi: "Số lần kiểm tra", en: "Probes")
    static let points = Message(vi: "điểm", en: "points")

    /// The five groups of indicators, as Decision 766 names them.
    static let groups: [String: Message] = [
        "publicity": Message(vi: "Công khai, minh bạch", en: "Publicity, transparency"),
        "progress": Message(vi: "Tiến độ, kết quả giải quyết", en: "Progress and results"),
        "digitisation": Message(vi: "Số hóa hồ sơ", en: "Digitisation of dossiers"),
        "online_services": Message(vi: "Cung cấp dịch vụ trực tuyến", en: "Online services"),
        "satisfaction": Message(vi: "Mức độ hài lòng", en: "Satisfaction"),
    ]

    /// The rating bands, by the `band` label rules/scorecard-766.yaml records.
    static let bands: [String: Message] = [
        "excellent": Message(vi: "Xuất sắc", en: "Excellent"),
        "good": Message(vi: "Tốt", en: "Good"),
        "fair": Message(vi: "Khá", en: "Fair"),
        "average": Message(vi: "Trung bình", en: "Average"),
        "weak": Message(vi: "Yếu", en: "Weak"),
    ]

    /// Every message, for the test that each has both languages.
    public static var all: [Message] {
        [
            title, periodWord, to, zone, notOver, ranking, noScorecard, monthNote, meanNote, availability, noProbes,
            noServiceHours, rank, unit, province, code, total, band, change, allHours, serviceHours, probes, points,
        ] + Array(groups.values) + Array(bands.values)
    }

    /// A group's name, or its key when the decision has none by that key (a custom group).
    static func group(_ key: String, _ language: Language) -> String { groups[key]?.text(language) ?? key }

    /// A band's name, or the label as recorded when it is not one of the five.
    static func band(_ key: String, _ language: Language) -> String { bands[key]?.text(language) ?? key }
}

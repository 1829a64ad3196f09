/// The operator-facing words of the dashboard and of `ioc`, in Vietnamese and English, by key.
/// Code asks `language.localized("alerts.none")`; a test lists every key the code uses and fails
/// on one missing here, on an empty or untranslated text, and on placeholders (`{count}`) that the
/// two languages do not share. Flags, label names, PromQL and units of measure stay as they are.
public enum Catalogue {
    public static func message(_ key: String) -> Message? { entries[key] }

    /// Every key, for the completeness test.
    public static var keys: [String] { Array(entries.keys) }

    /// Keys whose two texts are rightly the same (a symbol, a word both languages use).
    public static let sameInBothLanguages: Set<String> = []

    static let entries: [String: Message] = dashboard.merging(commands) { first, _ in first }
        .merging(commandErrors) { first, _ in first }

    static let dashboard: [String: Message] = [
        "dash.loading": Message(vi: "đang tải", en: "loading"),
        "dash.no_query": Message(vi: "không có truy vấn", en: "no query"),
        "dash.not_vector": Message(
            vi: "truy vấn không cho ra vector hay số", en: "the query gives neither a vector nor a scalar"),
        "dash.no_data": Message(vi: "không có dữ liệu", en: "no data"),
        "dash.not_loaded": Message(vi: "chưa tải", en: "not loaded"),
        "dash.waiting_store": Message(vi: "Đang chờ kho dữ liệu: {error}", en: "Waiting for the store: {error}"),
        "dash.banner_empty": Message(
            vi: " Chưa có dữ liệu: iocd có đang chạy và ghi vào {source} không? ",
            en: " No data yet: is iocd running and writing {source}? "),
        "dash.banner_stale": Message(
            vi: " iocd đã không ghi {age}: số liệu dưới đây đã cũ ",
            en: " iocd has not written for {age}: the figures below are old "),
        "dash.newest": Message(vi: "mới nhất {age}", en: "newest {age}"),
        "dash.newest_none": Message(vi: "chưa có dữ liệu", en: "newest none"),
        "dash.paused": Message(vi: "TẠM DỪNG", en: "PAUSED"),
        "dash.zoom": Message(vi: "PHÓNG TO", en: "ZOOM"),
        "dash.footer_variable": Message(vi: " · v giá trị kế", en: " · v next"),
        "dash.footer_long": Message(
            vi: " ←↑↓→ hjkl di chuyển · Tab bảng khác · Enter chi tiết · / lọc · t khoảng · s tắt báo · a cảnh báo"
                + "{variable} · z phóng to · p tạm dừng · ? trợ giúp · q thoát",
            en: " ←↑↓→ hjkl move · Tab dashboards · Enter details · / filter · t range · s silence · a alerts"
                + "{variable} · z zoom · p pause · ? help · q quit"),
        "dash.footer_medium": Message(
            vi:
                " hjkl · Tab bảng khác · Enter chi tiết · / lọc · a cảnh báo{variable} · z phóng to · ? trợ giúp · q thoát",
            en: " hjkl · Tab next · Enter details · / filter · a alerts{variable} · z zoom · ? help · q quit"),
        "dash.footer_short": Message(
            vi: " hjkl · Tab · Enter · / lọc{variable} · z phóng · ? trợ giúp · q thoát",
            en: " hjkl · Tab · Enter · / filter{variable} · z zoom · ? help · q quit"),
        "dash.footer_minimal": Message(vi: " ? trợ giúp · q thoát", en: " ? help · q quit"),
        "dash.more_panels": Message(vi: "▸ {count} khung nữa: ", en: "▸ {count} more: "),
        "dash.more_hint": Message(vi: "  (l/h để chọn, z để mở)", en: "  (l/h to one, z opens it)"),
        "dash.details": Message(vi: "Chi tiết · {selector}", en: "Details · {selector}"),
        "app.bad_duration": Message(
            vi: "'{text}' không phải thời lượng như 2h", en: "'{text}' is not a duration like 2h"),
        "app.silence_needs_comment": Message(
            vi: "tắt báo cần có lý do: chưa thêm", en: "a silence needs a comment: not added"),
        "app.sort_needs_table": Message(
            vi: "o sắp xếp một bảng: hãy chọn bảng trước", en: "o sorts a table: move to one first"),
        "app.no_alert_list": Message(vi: "bảng này không có danh sách cảnh báo", en: "no alert list on this dashboard"),
        "app.select_alert": Message(
            vi: "hãy chọn một cảnh báo trước: a, rồi ↑↓", en: "select an alert first: a, then ↑↓"),
        "app.no_variable": Message(vi: "bảng này không có biến để đổi", en: "this dashboard has no variable to change"),
        "app.select_row": Message(vi: "hãy chọn một dòng trước (↑↓)", en: "select a row first (↑↓)"),
        "app.nothing_for_row": Message(vi: "dòng này không có gì để xem", en: "nothing to show for this row"),
        "app.filter_prompt": Message(
            vi: " / lọc theo giá trị nhãn: {text}█  (Enter áp dụng, Esc hủy)",
            en: " / filter by label: {text}█  (Enter applies, Esc cancels)"),
        "app.silence_for": Message(
            vi: " Tắt báo {name} trong: {text}█  (vd. 2h; Enter, Esc hủy)",
            en: " Silence {name} for: {text}█  (e.g. 2h; Enter, Esc cancels)"),
        "app.silence_because": Message(
            vi: " Tắt báo {name} trong {duration}, lý do: {text}█",
            en: " Silence {name} for {duration}, because: {text}█"),
        "help.title": Message(vi: "Trợ giúp", en: "Help"),
        "help.move_panels": Message(vi: "←→ h l     chuyển giữa các khung", en: "←→ h l     move between panels"),
        "help.move_rows": Message(
            vi: "↑↓ j k     di chuyển trong khung (PgUp PgDn)", en: "↑↓ j k     move in a panel (PgUp PgDn)"),
        "help.tab": Message(
            vi: "Tab        bảng kế tiếp (Shift-Tab lùi)", en: "Tab        next dashboard (Shift-Tab back)"),
        "help.enter": Message(vi: "Enter      chi tiết dòng đang chọn", en: "Enter      details of the selected row"),
        "help.escape": Message(vi: "Esc        quay lại; bỏ bộ lọc", en: "Esc        back; clears the filter"),
        "help.filter": Message(vi: "/          lọc theo giá trị nhãn", en: "/          filter by label value"),
        "help.range": Message(
            vi: "t          khoảng thời gian: 15m 1h 6h 24h 7d 30d", en: "t          time range: 15m 1h 6h 24h 7d 30d"),
        "help.alerts": Message(vi: "a          danh sách cảnh báo", en: "a          the alert list"),
        "help.silence": Message(
            vi: "s          tắt báo cảnh báo đang chọn", en: "s          silence the selected alert"),
        "help.variable": Message(
            vi: "v V        giá trị kế / trước (tỉnh)", en: "v V        next / previous value (province)"),
        "help.zoom": Message(
            vi: "z          phóng to khung; mở khung", en: "z          zoom the panel; opens one that"),
        "help.zoom2": Message(vi: "           không vừa (Esc quay lại)", en: "           did not fit (Esc back)"),
        "help.sort": Message(vi: "o          đảo thứ tự bảng", en: "o          sort a table the other way"),
        "help.pause": Message(vi: "p          tạm dừng / tiếp tục", en: "p          pause / resume"),
        "help.quit": Message(vi: "q Ctrl-C   thoát       Ctrl-L vẽ lại", en: "q Ctrl-C   quit        Ctrl-L redraw"),
        "help.close": Message(vi: "phím bất kỳ để đóng", en: "any key closes this help"),
        "targets.count": Message(vi: " {count} mục tiêu  ", en: " {count} targets  "),
        "targets.up": Message(vi: "▲ {count} hoạt động  ", en: "▲ {count} up  "),
        "targets.down": Message(vi: " ▼ {count} ngừng ", en: " ▼ {count} down "),
        "targets.degraded": Message(vi: " ◆ {count} suy giảm ", en: " ◆ {count} degraded "),
        "targets.stale": Message(vi: " ? {count} cũ ", en: " ? {count} stale "),
        "targets.state": Message(vi: "TÌNH TRẠNG", en: "STATE"),
        "targets.province": Message(vi: "TỈNH", en: "PROVINCE"),
        "targets.service": Message(vi: "DỊCH VỤ", en: "SERVICE"),
        "targets.latency": Message(vi: "ĐỘ TRỄ", en: "LATENCY"),
        "targets.code": Message(vi: "MÃ", en: "CODE"),
        "targets.age": Message(vi: "TUỔI", en: "AGE"),
        "targets.instance": Message(vi: "ĐỊA CHỈ", en: "INSTANCE"),
        "targets.empty": Message(
            vi: "Không có kết quả đo nào trong 15 phút qua. iocd có đang chạy với {path} không?",
            en: "No probe results in the last 15 minutes. Is iocd running against {path}?"),
        "targets.more": Message(vi: "… còn {count}", en: "… {count} more"),
        "targets.footer": Message(
            vi: " q thoát · làm mới mỗi giây · {path}", en: " q quit · refreshed every second · {path}"),
        "state.up": Message(vi: "HOẠT ĐỘNG", en: "UP"),
        "state.down": Message(vi: "NGỪNG", en: "DOWN"),
        "state.stale": Message(vi: "CŨ", en: "STALE"),
        "state.degraded": Message(vi: "SUY GIẢM", en: "DEGRADED"),
        "alerts.none": Message(vi: "không có cảnh báo", en: "no active alerts"),
        "alerts.more": Message(vi: "+{count} nữa (ioc alerts)", en: "+{count} more (ioc alerts)"),
        "alerts.firing": Message(vi: "BÁO", en: "FIRING"),
        "alerts.firing_short": Message(vi: "BÁO", en: "FIRE"),
        "alerts.pending": Message(vi: "CHỜ", en: "PEND"),
        "alerts.muted": Message(vi: "TẮT", en: "MUTED"),
        "alerts.muted_short": Message(vi: "TẮT", en: "MUTE"),
        "alerts.inhibited": Message(vi: "CHẶN", en: "INHIB"),
        "alerts.inhibited_short": Message(vi: "CHẶN", en: "INHB"),
        "alerts.maintenance": Message(vi: "BẢOTRÌ", en: "MAINT"),
        "alerts.maintenance_short": Message(vi: "BTRÌ", en: "MNT"),
        "severity.critical": Message(vi: "nghiêm trọng", en: "critical"),
        "severity.warning": Message(vi: "cảnh báo", en: "warning"),
        "severity.info": Message(vi: "thông tin", en: "info"),
        "severity.other": Message(vi: "khác", en: "other"),
        "alerts.count_muted": Message(vi: "{count} tắt báo", en: "{count} muted"),
        "alerts.count_pending": Message(vi: "{count} chờ", en: "{count} pending"),
        "dash.log_empty": Message(vi: "chưa có thay đổi", en: "no changes yet"),
        "change.firing": Message(vi: "báo", en: "firing"),
        "change.resolved": Message(vi: "hết", en: "resolved"),
        "change.pending": Message(vi: "chờ", en: "pending"),
        "change.cancelled": Message(vi: "hủy", en: "cancelled"),
        "age.seconds": Message(vi: "{s} giây", en: "{s}s"),
        "age.minutes": Message(vi: "{m} phút", en: "{m}m"),
        "age.hours": Message(vi: "{h} giờ {m} phút", en: "{h}h {m}m"),
        "age.days": Message(vi: "{d} ngày {h} giờ", en: "{d}d {h}h"),
        "unit.days": Message(vi: "{n} ngày", en: "{n} d"),
        "table.name": Message(vi: "TÊN", en: "NAME"),
        "table.value": Message(vi: "GIÁ TRỊ", en: "VALUE"),
    ]
}

extension Language {
    /// The catalogue's text for `key` in this language, with `{name}` placeholders filled in; the
    /// key itself when the catalogue lacks it (the completeness test fails on that first).
    public func localized(_ key: String, _ values: [String: String] = [:]) -> String {
        let text = Catalogue.message(key)?.text(self) ?? key
        guard !values.isEmpty else { return text }
        // One pass over the message: a value that holds `{name}` (a path, an error) stays as it is.
        var result = ""
        var rest = text[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            let name = String(rest[rest.index(after: open)..<close])
            result += rest[..<open]
            if let value = values[name] { result += value } else { result += rest[open...close] }
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }

    /// A word of the catalogue's family `family` for `value` (`change` and `firing`), or `value`
    /// itself when the catalogue has none: a value from the data that it does not know.
    public func word(_ family: String, _ value: String) -> String {
        Catalogue.message(family + "." + value)?.text(self) ?? value
    }

    /// An alert's summary in this language: the rule's `summary` is Vietnamese and `summary_en`
    /// English beside it; either stands in for the other.
    public func summary(_ annotations: Labels) -> String {
        let (first, second) = self == .vi ? ("summary", "summary_en") : ("summary_en", "summary")
        return annotations[first] ?? annotations[second] ?? ""
    }
}

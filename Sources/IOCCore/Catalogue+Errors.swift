extension Catalogue {
    /// What `ioc` says when its arguments will not do, and the counts it reports on standard error.
    /// Flags, option values and formats (`--step`, `60s`, `WIDTHxHEIGHT`) stay as they are.
    static let commandErrors: [String: Message] = [
        "cmd.bad_source": Message(
            vi: "--source '{value}' không phải địa chỉ http:// hay https://",
            en: "--source '{value}' is not an http:// or https:// address"),
        "cmd.bad_address": Message(
            vi: "'{value}' không có dạng HOST:PORT (vd. 127.0.0.1:17000 hoặc [::1]:0)",
            en: "'{value}' is not HOST:PORT (e.g. 127.0.0.1:17000 or [::1]:0)"),
        "cmd.cannot_read": Message(vi: "không đọc được {path}", en: "cannot read {path}"),
        "cmd.cannot_write": Message(vi: "không ghi được {path}: {reason}", en: "cannot write {path}: {reason}"),
        "cmd.dashboard.bad_var": Message(
            vi: "--var '{value}' không có dạng tên=giá_trị, vd. province=Huế",
            en: "--var '{value}' is not name=value, e.g. province=Huế"),
        "cmd.dashboard.bad_size": Message(
            vi: "'{value}' không phải kích thước; cần RỘNGxCAO, vd. 100x30",
            en: "'{value}' is not a size; expected WIDTHxHEIGHT, e.g. 100x30"),
        "cmd.dashboard.bad_refresh": Message(
            vi: "'{value}' không phải chu kỳ làm mới từ 100ms trở lên",
            en: "'{value}' is not a refresh interval of at least 100ms"),
        "cmd.dashboard.no_such": Message(
            vi: "không có bảng điều khiển tên '{name}'", en: "no dashboard named '{name}'"),
        "cmd.dashboard.there_are": Message(vi: "; hiện có: {names}", en: "; there are: {names}"),
        "cmd.dashboard.no_file": Message(
            vi: "không có tệp bảng điều khiển nào khớp '{pattern}'", en: "no dashboard file matches '{pattern}'"),
        "cmd.simulate.bad_scenario": Message(
            vi: "'{value}' không phải kịch bản; dùng national hoặc demo",
            en: "'{value}' is not a scenario; use national or demo"),
        "cmd.simulate.serving": Message(
            vi: "ioc simulate: phục vụ {count} tỉnh, thành phố tại {url}",
            en: "ioc simulate: serving {count} provinces on {url}"),
        "cmd.silence.no_matcher": Message(
            vi: "cần ít nhất một điều kiện, như 'province=\"Huế\"'",
            en: "give at least one matcher, like 'province=\"Huế\"'"),
        "cmd.silence.bad_for": Message(
            vi: "--for '{value}' không phải thời lượng như 2h", en: "--for '{value}' is not a duration like 2h"),
        "cmd.silence.no_comment": Message(vi: "--comment phải nói lý do", en: "--comment must say why"),
        "cmd.silence.matches_all": Message(
            vi: "các điều kiện này sẽ tắt báo mọi cảnh báo; hãy nêu ít nhất một giá trị nhãn",
            en: "these matchers would silence every alert; name at least one label value"),
        "cmd.relabel.dry_run": Message(
            vi: "{count} chuỗi sẽ được gán lại nhãn (chạy thử: chưa đổi gì)",
            en: "{count} series would be relabelled (dry run: nothing changed)"),
        "cmd.relabel.done": Message(vi: "đã gán lại nhãn cho {count} chuỗi", en: "{count} series relabelled"),
        "cmd.report.bad_period": Message(
            vi: "'{value}' không phải kỳ báo cáo; cần YYYY, YYYY-Qn hoặc YYYY-MM, vd. 2026-Q3",
            en: "'{value}' is not a period; expected YYYY, YYYY-Qn or YYYY-MM, e.g. 2026-Q3"),
        "cmd.report.bad_format": Message(
            vi: "'{value}' không phải định dạng; dùng md, csv hoặc html",
            en: "'{value}' is not a format; use md, csv or html"),
        "cmd.report.bad_lang": Message(vi: "--lang '{value}': dùng vi hoặc en", en: "--lang '{value}': use vi or en"),
        "cmd.alerts.history_source": Message(
            vi: "--history đọc kho dữ liệu; không dùng cùng --source được",
            en: "--history reads the store; it cannot be used with --source"),
        "cmd.alerts.bad_state": Message(
            vi: "--state '{value}': cần firing, silenced, inhibited, maintenance, pending hoặc resolved",
            en: "--state '{value}': expected firing, silenced, inhibited, maintenance, pending or resolved"),
        "cmd.probe.bad_timeout": Message(
            vi: "'{value}' không phải thời lượng cho --timeout (vd. 5s, 500ms)",
            en: "'{value}' is not a duration for --timeout (e.g. 5s, 500ms)"),
        "cmd.probe.bad_ip": Message(
            vi: "--ip là any, 4 hoặc 6, không phải '{value}'", en: "--ip is any, 4 or 6, not '{value}'"),
        "cmd.probe.bad_tls_min": Message(
            vi: "--tls-min là 1.0, 1.1, 1.2 hoặc 1.3", en: "--tls-min is 1.0, 1.1, 1.2 or 1.3"),
        "cmd.probe.client_certificate": Message(
            vi: "chứng chỉ máy khách cần cả --cert-file và --key-file",
            en: "a client certificate needs --cert-file and --key-file"),
        "cmd.probe.not_host_port": Message(vi: "'{value}' không có dạng HOST:PORT", en: "'{value}' is not HOST:PORT"),
        "cmd.probe.not_tcp": Message(
            vi: "'{value}' không kiểm tra được trên một cổng TCP", en: "'{value}' cannot be checked on a TCP port"),
        "cmd.probe.not_url": Message(
            vi: "'{value}' không phải URL http:// hay https:// (dùng --tcp cho HOST:PORT)",
            en: "'{value}' is not an http:// or https:// URL (use --tcp for HOST:PORT)"),
        "cmd.probe.userinfo": Message(
            vi: "'{value}' có tên người dùng hoặc mật khẩu trong đó; hãy đưa chúng bằng "
                + "--header 'Authorization: Basic ...' và một URL không chứa chúng",
            en: "'{value}' has a user name or password in it; give them with "
                + "--header 'Authorization: Basic ...' and a URL without them"),
        "cmd.probe.bad_header": Message(
            vi: "tiêu đề có dạng 'Tên: giá trị', không phải '{value}'", en: "a header is 'Name: value', not '{value}'"),
        "cmd.probe.unset": Message(vi: "biến môi trường {name} chưa được đặt", en: "{name} is not set"),
        "cmd.probe.user_password": Message(
            vi: "--user cần một --password-file đọc được hoặc một --password-env đã đặt",
            en: "--user needs a readable --password-file or a set --password-env"),
        "cmd.probe.bad_status": Message(vi: "'{value}' không phải mã trạng thái", en: "'{value}' is not a status"),
        "cmd.probe.bad_regex": Message(
            vi: "'{value}' không phải biểu thức chính quy", en: "'{value}' is not a regular expression"),
        "cmd.probe.bad_duration": Message(vi: "'{value}' không phải thời lượng", en: "'{value}' is not a duration"),
        "cmd.probe.bad_days": Message(vi: "'{value}' không phải số ngày", en: "'{value}' is not a number of days"),
        "cmd.query.time_with_range": Message(
            vi: "--time dành cho truy vấn tại một thời điểm; hãy đưa --start và --end",
            en: "--time is for instant queries; give --start and --end instead"),
        "cmd.query.needs_start": Message(
            vi: "truy vấn theo khoảng thời gian cần --start", en: "a range query needs --start"),
        "cmd.query.bad_time": Message(
            vi: "{option} '{value}': cần now, -1h, yesterday, giây Unix hoặc thời điểm RFC 3339 như "
                + "2026-11-29T10:00:00Z",
            en: "{option} '{value}': expected now, -1h, yesterday, Unix seconds or an RFC 3339 time such as "
                + "2026-11-29T10:00:00Z"),
        "cmd.query.bad_step": Message(
            vi: "--step '{value}': cần một thời lượng dương như 60s hoặc 5m",
            en: "--step '{value}': expected a positive duration such as 60s or 5m"),
        "cmd.export.done": Message(vi: "ioc export: {count} mẫu", en: "ioc export: {count} samples"),
        "cmd.import.done": Message(
            vi: "ioc import: {count} mẫu vào {path}", en: "ioc import: {count} samples into {path}"),
        "cmd.import.refused": Message(
            vi: " ({count} mẫu kho đã có, giữ nguyên)", en: " ({count} the store had already, not changed)"),
        "remote.no_answer": Message(vi: "{url} không trả lời: {reason}", en: "{url} did not answer: {reason}"),
        "remote.not_matrix": Message(
            vi: "{url} không trả lời truy vấn theo khoảng bằng một ma trận",
            en: "{url} did not answer a range query with a matrix"),
        "remote.not_prometheus": Message(
            vi: "{url} trả lời HTTP {status} mà không có JSON của Prometheus",
            en: "{url} answered HTTP {status} without Prometheus' JSON"),
        "remote.refused": Message(vi: "{url} từ chối: {reason}", en: "{url}: {reason}"),
        "remote.no_silence_id": Message(
            vi: "{url} không cho biết mã của lệnh tắt báo mới", en: "{url} did not say the new silence's id"),
        "remote.not_alertmanager": Message(
            vi: "{url} không trả lời bằng JSON của Alertmanager", en: "{url} did not answer with Alertmanager's JSON"),
        "remote.no_samples": Message(
            vi: "{url} không trả lời {selector}[…] bằng các mẫu", en: "{url} did not answer {selector}[…] with samples"),
        "cmd.import.nothing": Message(vi: "{error}; không nhập mẫu nào", en: "{error}; nothing was imported"),
    ]
}

extension Catalogue {
    /// `ioc`'s words: table headings, states, messages. Flags and their values (`--state firing`)
    /// stay as they are, in English, in both languages: scripts depend on them.
    static let commands: [String: Message] = [
        "alerts.header.state": Message(vi: "TÌNH TRẠNG", en: "STATE"),
        "alerts.header.active_for": Message(vi: "ĐÃ KÉO DÀI", en: "ACTIVE FOR"),
        "alerts.header.severity": Message(vi: "MỨC ĐỘ", en: "SEVERITY"),
        "alerts.header.alert": Message(vi: "CẢNH BÁO", en: "ALERT"),
        "alerts.header.labels": Message(vi: "NHÃN", en: "LABELS"),
        "alerts.header.summary": Message(vi: "TÓM TẮT", en: "SUMMARY"),
        "alerts.header.time": Message(vi: "THỜI GIAN", en: "TIME"),
        "alerts.header.change": Message(vi: "THAY ĐỔI", en: "CHANGE"),
        "alerts.state.firing": Message(vi: "đang báo", en: "firing"),
        "alerts.state.pending": Message(vi: "chờ", en: "pending"),
        "alerts.state.silenced": Message(vi: "tắt báo", en: "silenced"),
        "alerts.state.inhibited": Message(vi: "bị chặn", en: "inhibited"),
        "alerts.state.maintenance": Message(vi: "bảo trì", en: "maintenance"),
        "alerts.state.resolved": Message(vi: "đã hết", en: "resolved"),
        "alerts.none_active": Message(vi: "không có cảnh báo nào đang hoạt động", en: "no active alerts"),
        "alerts.none": Message(vi: "không có cảnh báo nào", en: "no alerts"),
        "alerts.none_match": Message(vi: "không có cảnh báo nào khớp", en: "no alerts match"),
        "alerts.none_active_match": Message(
            vi: "không có cảnh báo đang hoạt động nào khớp", en: "no active alerts match"),
        "silence.header.id": Message(vi: "MÃ", en: "ID"),
        "silence.header.state": Message(vi: "TÌNH TRẠNG", en: "STATE"),
        "silence.header.ends": Message(vi: "KẾT THÚC", en: "ENDS"),
        "silence.header.matchers": Message(vi: "ĐIỀU KIỆN", en: "MATCHERS"),
        "silence.header.by": Message(vi: "NGƯỜI TẠO", en: "BY"),
        "silence.header.comment": Message(vi: "LÝ DO", en: "COMMENT"),
        "silence.state.active": Message(vi: "đang hiệu lực", en: "active"),
        "silence.state.ended": Message(vi: "đã hết", en: "ended"),
        "silence.none": Message(vi: "không có lệnh tắt báo nào", en: "no silences"),
        "silence.none_active": Message(vi: "không có lệnh tắt báo nào đang hiệu lực", en: "no active silences"),
        "silence.ended": Message(vi: "lệnh tắt báo {id} đã kết thúc", en: "silence {id} ended"),
        "probe.heading": Message(vi: "ĐO {address}", en: "PROBE {address}"),
        "probe.status": Message(vi: "trạng thái", en: "status"),
        "probe.phases": Message(vi: "các pha", en: "phases"),
        "probe.certificate": Message(vi: "chứng chỉ", en: "certificate"),
        "probe.expectations": Message(vi: "kiểm tra", en: "expectations"),
        "probe.result": Message(vi: "kết quả", en: "result"),
        "probe.status_line": Message(
            vi: "{status} (HTTP/{version}), {bytes} byte, {redirects} lần chuyển hướng",
            en: "{status} (HTTP/{version}), {bytes} bytes, {redirects} redirects"),
        "probe.phase.resolve": Message(vi: "phân giải", en: "resolve"),
        "probe.phase.connect": Message(vi: "kết nối", en: "connect"),
        "probe.phase.tls": Message(vi: "bắt tay TLS", en: "tls"),
        "probe.phase.processing": Message(vi: "xử lý", en: "processing"),
        "probe.phase.transfer": Message(vi: "truyền", en: "transfer"),
        "probe.phase.total": Message(vi: "tổng", en: "total"),
        "probe.expiry": Message(
            vi: "hết hạn sớm nhất {date} (còn {days} ngày)", en: "earliest expiry {date} ({days} days)"),
        "probe.warning": Message(vi: " (cảnh báo)", en: " (warning)"),
        "probe.unknown": Message(vi: "không rõ", en: "unknown"),
        "probe.summary": Message(vi: "{up}/{total} mục tiêu hoạt động", en: "{up} of {total} targets up"),
        "store.missing": Message(
            vi: "kho dữ liệu {path}: không có tệp này; iocd có đang ghi kho ở nơi khác không? (xem --db và $IOC_DB)",
            en: "store {path}: no such file; is iocd writing its store elsewhere? (see --db and $IOC_DB)"),
        "store.denied_read": Message(
            vi: "kho dữ liệu {path}: không có quyền: {user} không được đọc kho hay thư mục của nó (unit cho nhóm "
                + "iocd đọc); hãy vào nhóm (sudo usermod -aG iocd {user}, rồi đăng nhập lại), hoặc chạy lệnh với "
                + "quyền root (sudo)",
            en: "store {path}: permission denied: {user} may not read the store or its folder (the unit lets the "
                + "group iocd read it); join the group (sudo usermod -aG iocd {user}, then log in again), or run "
                + "the command as root (sudo)"),
        "store.denied_write": Message(
            vi: "kho dữ liệu {path}: không có quyền: {user} không được ghi kho hay thư mục của nó (chỉ iocd ghi); "
                + "hãy chạy lệnh với quyền root (sudo)",
            en: "store {path}: permission denied: {user} may not write the store or its folder (only iocd writes "
                + "it); run the command as root (sudo)"),
        "store.error": Message(vi: "kho dữ liệu {path}: {message}", en: "store {path}: {message}"),
        "check.ok": Message(
            vi: "{config}: hợp lệ: {targets} mục tiêu trong {files} tệp đo, {rules} luật trong {ruleFiles} tệp luật, "
                + "{dashboards} bảng điều khiển; kho dữ liệu {store}",
            en: "{config}: ok: {targets} targets in {files}, {rules} rules in {ruleFiles}, {dashboards}; store {store}"),
    ]
}

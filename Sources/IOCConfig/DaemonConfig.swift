import Foundation
public import IOCAlert
public import IOCCalendar
public import IOCCore

/// `iocd.yaml`: where the store lives and which probe files to load. Relative paths are relative
/// to the folder of `iocd.yaml`.
///
/// ```yaml
/// storage:
///   path: /var/lib/iocd/ioc.db
///   retention: 90d      # history older than this is dropped, a day at a time
///   max_size: 10GiB     # and the oldest days beyond this size
///   max_series: 1000000 # samples of new series beyond this many are refused and counted
/// probe_files:
///   - probes/*.yaml
/// rule_files:            # Prometheus rule files; *.test.yaml (their unit tests) are skipped
///   - rules/*.yaml
/// evaluation_interval: 15s
/// external_labels: {centre: ioc-hue}
/// max_probes_in_flight: 256
/// sample_admission:      # what a feed's samples must be to be stored (SampleAdmission)
///   out_of_bounds_past: 1h     # older than this before now: refused, like Prometheus' out-of-bounds
///   out_of_bounds_future: 10m  # further ahead of the clock than this: refused
///   max_labels: 30
///   max_label_value_length: 2048
/// service_hours:         # working hours, holidays, maintenance: ioc_service_hours (ServiceHours)
///   hours: [{weekdays: [monday, tuesday, wednesday, thursday, friday], times: [{start: '07:30', end: '17:00'}]}]
/// ```
public struct DaemonConfig: Sendable {
    /// Where iocd and ioc look without `--config`: `$IOC_CONFIG`, else /etc/iocd/iocd.yaml.
    public static var defaultPath: String {
        let fromEnvironment = ProcessInfo.processInfo.environment["IOC_CONFIG"] ?? ""
        return fromEnvironment.isEmpty ? "/etc/iocd/iocd.yaml" : fromEnvironment
    }
    public static let defaultStorePath = "/var/lib/iocd/ioc.db"

    /// The configuration file this was read from.
    public var file: String
    public var storePath: String
    /// The time zone `ioc` and the dashboard show times in (`time_zone`, default Asia/Ho_Chi_Minh).
    public var displayZone = DisplayZone.vietnam
    /// The language of what operators and leaders read (`language: vi | en`, default vi).
    public var language = Language.vi
    /// Glob patterns, already made absolute or relative to the working directory.
    public var probeFiles: [String]
    /// Where each pattern of `probe_files` was written; empty when the key is absent (the default
    /// `probes/*.yaml` may match nothing: an empty folder is a valid start).
    public var probeFileLocations: [String: SourceLocation] = [:]
    /// How long history is kept (default 90 days), and optionally how much of it.
    public var retention: Duration? = .seconds(90 * 86_400)
    public var maxStoreBytes: Int64?
    /// The most series the store holds; samples of new series beyond it are refused and counted.
    public var maxSeries = 1_000_000
    /// At most this many probes run at once; more wait their turn (and count as late).
    public var maxProbesInFlight = 256
    /// Glob patterns of rule files, made absolute or relative to the working directory.
    public var ruleFiles: [String] = []
    /// Glob patterns of dashboard files (`ioc dashboard`, `ioc check`).
    public var dashboardFiles: [String] = []
    /// How often a rule group without an interval of its own is evaluated.
    public var evaluationInterval: Duration = .seconds(15)
    /// Labels that name this centre to the outside (alerts sent elsewhere, templates).
    public var externalLabels: [String: String] = [:]
    /// This centre's address for people, in templates as `$externalURL`.
    public var externalURL = ""
    /// Where alerts are sent; none: alerts are only logged and kept in the store.
    public var notifications = NotifierConfig.none
    /// The HTTP listener (metrics, the Prometheus API): host and port, loopback by default; nil: off.
    public var listen: (host: String, port: Int)? = ("127.0.0.1", 9420)
    /// `Authorization` header values the listener accepts; empty: no authentication.
    public var credentials: [Secret] = []
    /// The offices' working hours, written as `ioc_service_hours`; nil: not written.
    public var serviceHours: ServiceHours?
    /// What feed samples must be to be kept.
    public var admission = SampleAdmission()
    /// Remote-write endpoints every stored sample is pushed to, each with its write relabelling.
    public var remoteWrite: [(url: String, timeout: Duration, bearerToken: Secret?, relabel: [RelabelRule])] = []
    /// `rule_source: {url, timeout, bearer_token_file, engine}`: a Prometheus-compatible query API (a
    /// national VictoriaMetrics) that rules are evaluated over instead of the store, as vmalert's
    /// datasource; what they record goes to the store, and from it to `remote_write`.
    public var ruleSource: (url: String, timeout: Duration, bearerToken: Secret?, engine: RuleSourceEngine)?

    public init(file: String, storePath: String, probeFiles: [String]) {
        self.file = file
        self.storePath = storePath
        self.probeFiles = probeFiles
    }

    /// Reads the parsed `iocd.yaml` at `file`.
    public init(from root: ConfigNode, file: String) throws(ConfigError) {
        self.file = file
        let base = ConfigFiles.directory(of: file)
        ruleFiles = [ConfigFiles.resolve("rules/*.yaml", against: base)]
        dashboardFiles = [ConfigFiles.resolve("dashboards/*.yaml", against: base)]
        probeFiles = [ConfigFiles.resolve("probes/*.yaml", against: base)]
        storePath = DaemonConfig.defaultStorePath
        if case .null = root.value { return }
        let top = try root.mapping(
            of: "iocd.yaml",
            allowedKeys: [
                "storage", "probe_files", "rule_files", "evaluation_interval", "external_labels", "external_url",
                "notifications", "dashboard_files", "http", "remote_write", "max_probes_in_flight",
                "service_hours", "sample_admission", "time_zone", "language", "rule_source",
            ])
        if let languageNode = top["language"] {
            let name = try languageNode.string("'language'")
            guard let chosen = Language(rawValue: name) else {
                throw languageNode.error("unknown language '\(name)'; expected vi or en")
            }
            language = chosen
        }
        if let zoneNode = top["time_zone"] {
            let name = try zoneNode.string("'time_zone'")
            guard let zone = DisplayZone(identifier: name) else {
                throw zoneNode.error("unknown time zone '\(name)'; expected a name like Asia/Ho_Chi_Minh or UTC")
            }
            displayZone = zone
        }
        if let admissionNode = top["sample_admission"] { admission = try DaemonConfig.admission(admissionNode) }
        if let hoursNode = top["service_hours"] { serviceHours = try ServiceHours(from: hoursNode) }
        if let sourceNode = top["rule_source"] {
            let target = try RemoteWriteTarget(from: sourceNode, what: "'rule_source'")
            ruleSource = (target.url, target.timeout, target.bearerToken, target.engine)
        }
        remoteWrite = try (top["remote_write"]?.sequence(of: "'remote_write'") ?? []).map {
            item throws(ConfigError) in
            let target = try RemoteWriteTarget(from: item)
            return (target.url, target.timeout, target.bearerToken, target.writeRelabel)
        }
        if let httpNode = top["http"] {
            let http = try ListenerConfig(from: httpNode)
            (listen, credentials) = (http.listen, http.credentials)
        }
        if let storageNode = top["storage"] {
            let storage = try StorageConfig(from: storageNode, base: base)
            (storePath, retention, maxStoreBytes) = (storage.path, storage.retention ?? retention, storage.maxBytes)
            maxSeries = storage.maxSeries ?? maxSeries
        }
        if let notificationsNode = top["notifications"] {
            notifications = try NotifierConfig(
                from: notificationsNode, language: language, timeZone: displayZone.identifier)
        }
        try readPatterns(top, base: base)
        try readEvaluation(top)
    }

    /// `probe_files`, `rule_files` and `dashboard_files`: glob patterns relative to iocd.yaml.
    private mutating func readPatterns(_ top: ConfigMapping, base: String) throws(ConfigError) {
        /// Each pattern of `key`, resolved, with where it was written.
        func patterns(_ key: String, _ what: String) throws(ConfigError) -> [(String, SourceLocation)]? {
            try top[key]?.sequence(of: "'\(key)'").map { node throws(ConfigError) in
                (ConfigFiles.resolve(try node.string(what), against: base), node.location)
            }
        }
        if let probes = try patterns("probe_files", "a probe file pattern") {
            probeFiles = probes.map(\.0)
            probeFileLocations = Dictionary(probes, uniquingKeysWith: { first, _ in first })
        }
        ruleFiles = try patterns("rule_files", "a rule file pattern")?.map(\.0) ?? ruleFiles
        dashboardFiles = try patterns("dashboard_files", "a dashboard file pattern")?.map(\.0) ?? dashboardFiles
    }

    /// How rules are evaluated and probes run: intervals, labels and limits.
    private mutating func readEvaluation(_ top: ConfigMapping) throws(ConfigError) {
        if let intervalNode = top["evaluation_interval"] {
            evaluationInterval = try intervalNode.duration("'evaluation_interval'", atLeast: .seconds(1))
        }
        if let labelsNode = top["external_labels"] {
            externalLabels = Dictionary(
                try labelsNode.labels("'external_labels'"), uniquingKeysWith: { _, last in last })
        }
        externalURL = try top["external_url"]?.string("'external_url'") ?? ""
        if let capNode = top["max_probes_in_flight"] {
            let cap = try capNode.int("'max_probes_in_flight'")
            guard (1...100_000).contains(cap) else {
                throw capNode.error("'max_probes_in_flight' must be between 1 and 100000, not \(cap)")
            }
            maxProbesInFlight = cap
        }
    }

    static func admission(_ node: ConfigNode) throws(ConfigError) -> SampleAdmission {
        let fields = try node.mapping(
            of: "'sample_admission'",
            allowedKeys: ["out_of_bounds_past", "out_of_bounds_future", "max_labels", "max_label_value_length"])
        var admission = SampleAdmission()
        if let past = fields["out_of_bounds_past"] {
            admission.past = try past.duration("'out_of_bounds_past'").inMilliseconds
        }
        if let future = fields["out_of_bounds_future"] {
            admission.future = try future.duration("'out_of_bounds_future'").inMilliseconds
        }
        for (key, range) in [("max_labels", 2...1000), ("max_label_value_length", 16...1_048_576)] {
            guard let limitNode = fields[key] else { continue }
            let limit = try limitNode.int("'\(key)'")
            guard range.contains(limit) else {
                throw limitNode.error(
                    "'\(key)' must be between \(range.lowerBound) and \(range.upperBound), not \(limit)")
            }
            if key == "max_labels" { admission.maxLabels = limit } else { admission.maxLabelValueBytes = limit }
        }
        return admission
    }

    /// `500MB`, `10GiB`, `1048576`: a size in bytes.
    static func bytes(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40), ("KB", 1_000), ("MB", 1_000_000),
            ("GB", 1_000_000_000), ("TB", 1_000_000_000_000), ("B", 1),
        ]
        for (unit, factor) in units where text.hasSuffix(unit) {
            // Int64(exactly:) rather than Int64(_:): `1e30GiB` is an error, not a trap.
            guard let number = Double(text.dropLast(unit.count).trimmingCharacters(in: .whitespaces)), number >= 0,
                number.isFinite
            else { return nil }
            return Int64(exactly: (number * Double(factor)).rounded(.down))
        }
        return Int64(text)
    }
}

/// `storage:` of iocd.yaml: where the store is and how much history it keeps.
struct StorageConfig {
    var path: String
    var retention: Duration?
    var maxBytes: Int64?
    var maxSeries: Int?

    init(from node: ConfigNode, base: String) throws(ConfigError) {
        let storage = try node.mapping(of: "'storage'", allowedKeys: ["path", "retention", "max_size", "max_series"])
        if let seriesNode = storage["max_series"] {
            let limit = try seriesNode.int("'max_series'")
            guard (1_000...1_000_000_000).contains(limit) else {
                throw seriesNode.error("'max_series' must be between 1000 and 1000000000, not \(limit)")
            }
            maxSeries = limit
        }
        if let retentionNode = storage["retention"] {
            retention = try retentionNode.duration(
                "'retention'", atLeast: .seconds(86_400), reason: "history is dropped a day at a time")
        }
        if let sizeNode = storage["max_size"] {
            let text = try sizeNode.string("'max_size'")
            guard let bytes = DaemonConfig.bytes(text), bytes > 0 else {
                throw sizeNode.error(
                    "'\(text)' is not a size; expected a number of bytes with KB, MB, GB, KiB, MiB or GiB")
            }
            maxBytes = bytes
        }
        let pathNode = try storage.required("path")
        let text = try pathNode.string("the store path")
        guard !text.isEmpty else { throw pathNode.error("the store path must not be empty") }
        path = ConfigFiles.resolve(text, against: base)
    }
}

/// `http:` of iocd.yaml: where the listener listens, and the credentials it asks for.
struct ListenerConfig {
    var listen: (host: String, port: Int)? = ("127.0.0.1", 9420)
    var credentials: [Secret] = []

    init(from node: ConfigNode) throws(ConfigError) {
        let http = try node.mapping(of: "'http'", allowedKeys: ["listen", "basic_auth", "bearer_token_file"])
        if let listenNode = http["listen"] {
            let text = try listenNode.string("'listen'")
            if text == "off" {
                listen = nil
            } else {
                guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                    (0..<65_536).contains(port)
                else { throw listenNode.error("'listen' is host:port, like 127.0.0.1:9420, or off") }
                var host = String(text[..<colon])
                if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
                listen = (host.isEmpty ? "0.0.0.0" : host, port)
            }
        }
        if let basic = http["basic_auth"] {
            let fields = try basic.mapping(of: "'basic_auth'", allowedKeys: ["username", "password_file"])
            let user = try fields.required("username").string("'username'")
            let password = try fields.required("password_file").secretFile("the password file")
            let token = Data("\(user):\(password.value)".utf8).base64EncodedString()
            credentials.append(Secret("Basic \(token)"))
        }
        if let tokenNode = http["bearer_token_file"] {
            credentials.append(Secret("Bearer \(try tokenNode.secretFile("the token file").value)"))
        }
    }
}

/// Which engine evaluates the rules of a `rule_source`.
public enum RuleSourceEngine: String, Sendable {
    /// IOC's, over the samples the source returns for each selector: Prometheus' answers, the same
    /// as a province's own iocd gives (the default).
    case ioc
    /// The source's own, asked each rule's expression, as vmalert does: that engine's dialect (MetricsQL
    /// rounds, extrapolates and looks back its own way), and less to transfer for windows of weeks.
    case remote
}

/// One item of `remote_write:` in iocd.yaml, or `rule_source:`: a URL, a timeout, a token, and for
/// remote write Prometheus' `write_relabel_configs` (applied after the external labels).
struct RemoteWriteTarget {
    var url: String
    var timeout: Duration
    var bearerToken: Secret?
    var writeRelabel: [RelabelRule] = []
    var engine = RuleSourceEngine.ioc

    init(from node: ConfigNode, what: String = "a remote_write endpoint") throws(ConfigError) {
        let relabels = what == "a remote_write endpoint"
        let fields = try node.mapping(
            of: what,
            allowedKeys: ["url", "timeout", "bearer_token_file"] + (relabels ? ["write_relabel_configs"] : ["engine"]))
        if let engineNode = fields["engine"] {
            let name = try engineNode.string("'engine'")
            guard let engine = RuleSourceEngine(rawValue: name) else {
                throw engineNode.error("unknown engine '\(name)'; expected ioc or remote")
            }
            self.engine = engine
        }
        url = try fields.required("url").httpURL("'url'")
        bearerToken = try fields["bearer_token_file"]?.secretFile("the token file")
        timeout = try fields["timeout"]?.duration("'timeout'") ?? .seconds(30)
        writeRelabel = try RelabelRule.list(from: fields["write_relabel_configs"], what: "'write_relabel_configs'")
    }
}

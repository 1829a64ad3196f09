import Foundation
public import IOCCalendar
public import IOCCore
import IOCQuery

/// Where alerts go, in the manner of Alertmanager's configuration: a routing tree of label matchers
/// to receivers with grouping and timing, inhibition rules, maintenance windows, and the outbound
/// queue's bound. The `notifications:` section of iocd.yaml:
///
/// ```yaml
/// notifications:
///   route:
///     receiver: operators
///     group_by: [alertname, province]
///     group_wait: 30s
///     group_interval: 5m
///     repeat_interval: 4h
///     routes:
///       - matchers: ['severity="critical"']
///         receiver: on-call
///   receivers:
///     - name: operators
///       syslog: {facility: local0}
///     - name: on-call
///       exec: {command: [/usr/local/bin/page-on-call, --team, ioc], timeout: 10s}
///       webhook: {url: 'http://127.0.0.1:9095/alerts'}
///   inhibit_rules:
///     - source_matchers: ['alertname="ProvinceNetworkDown"']
///       target_matchers: ['alertname=~"Service.*"']
///       equal: [province]
///   maintenance_windows:
///     - name: saturday-night
///       time_zone: Asia/Ho_Chi_Minh
///       weekdays: [saturday]
///       times: [{start: '22:00', end: '24:00'}]
///   queue: {max_size: 10000}
/// ```
public struct NotifierConfig: Sendable {
    public struct Route: Sendable {
        public var matchers: [LabelMatcher]
        public var receiver: String
        /// nil: every label (Alertmanager's `...`).
        public var groupBy: [String]?
        public var groupWait: Duration
        public var groupInterval: Duration
        public var repeatInterval: Duration
        public var `continue`: Bool
        public var routes: [Route]
    }

    public struct Receiver: Sendable {
        public var name: String
        public var integrations: [Integration]
    }

    public enum Integration: Sendable {
        case syslog(SyslogTarget)
        case exec(command: [String], timeout: Duration)
        case webhook(WebhookTarget)
        case alertmanager(url: String, timeout: Duration)
        case telegram(TelegramTarget)
        case email(EmailTarget)

        public var kind: String {
            switch self {
            case .syslog: "syslog"
            case .exec: "exec"
            case .webhook: "webhook"
            case .alertmanager: "alertmanager"
            case .telegram: "telegram"
            case .email: "email"
            }
        }
    }

    public struct SyslogTarget: Sendable, Equatable {
        public enum Transport: Sendable, Equatable {
            case unix(path: String)
            case udp(host: String, port: Int)
            case tcp(host: String, port: Int)
        }

        public var transport: Transport
        /// 0-23: kern, user, ..., local0 = 16 ... local7 = 23.
        public var facility: Int
        public var appName: String
    }

    public struct InhibitRule: Sendable {
        public var source: [LabelMatcher]
        public var target: [LabelMatcher]
        public var equal: [String]

        /// Whether the alert `source` (active) inhibits the alert `target` under this rule.
        public func inhibits(_ target: Labels, by source: Labels) -> Bool {
            source != target && self.target.allSatisfy { $0.matches(target) }
                && self.source.allSatisfy { $0.matches(source) } && equal.allSatisfy { source[$0] == target[$0] }
        }
    }

    /// Why an alert is not notified although it fires.
    public enum Mute: String, Sendable {
        case silenced, inhibited, maintenance
    }

    /// Why the alert with `labels` is muted at `now`, or nil: a silence, another active alert
    /// (`active`) that inhibits it, or a maintenance window. The notifier, `ioc alerts` and the
    /// dashboard all ask this, so that they agree.
    public func mute(_ labels: Labels, active: [Labels], silences: [Silence], at now: Int64) -> Mute? {
        if silences.contains(where: { $0.isActive(at: now) && $0.silences(labels) }) { return .silenced }
        for rule in inhibitRules where rule.target.allSatisfy({ $0.matches(labels) }) {
            if active.contains(where: { rule.inhibits(labels, by: $0) }) { return .inhibited }
        }
        if maintenanceWindows.contains(where: { $0.mutes(labels, at: now) }) { return .maintenance }
        return nil
    }

    public var route: Route
    public var receivers: [String: Receiver]
    public var inhibitRules: [InhibitRule]
    public var maintenanceWindows: [MaintenanceWindow]
    public var queueSize: Int

    /// No notifications: alerts are only logged and kept in the store.
    public static let none = NotifierConfig(
        route: Route(
            matchers: [], receiver: "", groupBy: [], groupWait: .seconds(30), groupInterval: .seconds(300),
            repeatInterval: .seconds(14_400), continue: false, routes: []),
        receivers: [:], inhibitRules: [], maintenanceWindows: [], queueSize: 10_000)

    public var isEmpty: Bool { receivers.isEmpty }

    /// Reads the `notifications:` section; the shipped notification texts are in `language`, with
    /// times in the zone `timeZone` names.
    public init(from node: ConfigNode, language: Language = .vi, timeZone: String = "Asia/Ho_Chi_Minh")
        throws(ConfigError)
    {
        let top = try node.mapping(
            of: "'notifications'",
            allowedKeys: ["route", "receivers", "inhibit_rules", "maintenance_windows", "queue", "templates"])
        var templates = NotificationTemplates.shipped(language: language, timeZone: timeZone)
        if let files = top["templates"] { templates = try templates.adding(files: files) }
        var receivers: [String: Receiver] = [:]
        for item in try top["receivers"]?.sequence(of: "'receivers'") ?? [] {
            let receiver = try NotifierConfig.receiver(item, templates: templates)
            guard receivers[receiver.name] == nil else {
                throw item.error("receiver '\(receiver.name)' is defined twice")
            }
            receivers[receiver.name] = receiver
        }
        self.receivers = receivers
        let defaults = NotifierConfig.none.route
        route = try NotifierConfig.route(
            try top.required("route"), parent: defaults, isRoot: true, receivers: receivers)
        inhibitRules = try (top["inhibit_rules"]?.sequence(of: "'inhibit_rules'") ?? []).map {
            item throws(ConfigError) in
            let rule = try item.mapping(
                of: "an inhibit rule", allowedKeys: ["source_matchers", "target_matchers", "equal"])
            return InhibitRule(
                source: try Selector.matchers(in: rule["source_matchers"]),
                target: try Selector.matchers(in: rule["target_matchers"]),
                equal: try (rule["equal"]?.sequence(of: "'equal'") ?? []).map { node throws(ConfigError) in
                    try node.string("a label name")
                })
        }
        maintenanceWindows = try (top["maintenance_windows"]?.sequence(of: "'maintenance_windows'") ?? []).map {
            item throws(ConfigError) in try MaintenanceWindow(from: item)
        }
        queueSize = 10_000
        if let queue = top["queue"] {
            let mapping = try queue.mapping(of: "'queue'", allowedKeys: ["max_size"])
            if let size = mapping["max_size"] {
                queueSize = try size.int("'max_size'")
                guard queueSize >= 1 else { throw size.error("'max_size' must be at least 1") }
            }
        }
    }

    private init(
        route: Route, receivers: [String: Receiver], inhibitRules: [InhibitRule],
        maintenanceWindows: [MaintenanceWindow], queueSize: Int
    ) {
        self.route = route
        self.receivers = receivers
        self.inhibitRules = inhibitRules
        self.maintenanceWindows = maintenanceWindows
        self.queueSize = queueSize
    }

    private static func route(_ node: ConfigNode, parent: Route, isRoot: Bool, receivers: [String: Receiver])
        throws(ConfigError) -> Route
    {
        let mapping = try node.mapping(
            of: isRoot ? "'route'" : "a route",
            allowedKeys: [
                "receiver", "group_by", "group_wait", "group_interval", "repeat_interval", "matchers", "continue",
                "routes",
            ])
        var route = parent
        route.routes = []
        route.continue = false
        route.matchers = try Selector.matchers(in: mapping["matchers"])
        if isRoot && !route.matchers.isEmpty { throw node.error("the root route matches every alert: no 'matchers'") }
        if let receiverNode = mapping["receiver"] {
            let name = try receiverNode.string("'receiver'")
            guard receivers[name] != nil else {
                throw receiverNode.error(
                    "no receiver named '\(name)'; receivers: \(receivers.keys.sorted().joined(separator: ", "))")
            }
            route.receiver = name
        } else if isRoot {
            throw node.error("the root route needs a 'receiver'")
        }
        if let groupBy = mapping["group_by"] {
            let names = try groupBy.sequence(of: "'group_by'").map { node throws(ConfigError) in
                try node.string("a label name")
            }
            route.groupBy = names == ["..."] ? nil : names
        }
        if let wait = mapping["group_wait"] { route.groupWait = try wait.duration("'group_wait'") }
        if let interval = mapping["group_interval"] {
            route.groupInterval = try interval.duration("'group_interval'")
            guard route.groupInterval > .zero else { throw interval.error("'group_interval' must be more than 0") }
        }
        if let repeatNode = mapping["repeat_interval"] {
            route.repeatInterval = try repeatNode.duration("'repeat_interval'")
            guard route.repeatInterval > .zero else { throw repeatNode.error("'repeat_interval' must be more than 0") }
        }
        if let continueNode = mapping["continue"] { route.continue = try continueNode.bool("'continue'") }
        for child in try mapping["routes"]?.sequence(of: "'routes'") ?? [] {
            route.routes.append(try self.route(child, parent: route, isRoot: false, receivers: receivers))
        }
        return route
    }

    private static func receiver(_ node: ConfigNode, templates: NotificationTemplates) throws(ConfigError)
        -> Receiver
    {
        let kinds = ["syslog", "exec", "webhook", "alertmanager", "telegram", "email"]
        let mapping = try node.mapping(of: "a receiver", allowedKeys: ["name"] + kinds)
        let name = try mapping.required("name").string("the receiver's name")
        var integrations: [Integration] = []
        if let syslog = mapping["syslog"] { integrations.append(.syslog(try syslogTarget(syslog))) }
        if let exec = mapping["exec"] {
            let fields = try exec.mapping(of: "'exec'", allowedKeys: ["command", "timeout"])
            let commandNode = try fields.required("command")
            let command = try commandNode.sequence(of: "'command'").map { node throws(ConfigError) in
                try node.string("an argument")
            }
            guard let program = command.first, program.hasPrefix("/") else {
                throw commandNode.error(
                    "'command' is a list: an absolute program path, then its arguments (no shell runs it)")
            }
            integrations.append(
                .exec(command: command, timeout: try fields["timeout"]?.duration("'timeout'") ?? .seconds(10)))
        }
        if let webhook = mapping["webhook"] {
            integrations.append(.webhook(try WebhookTarget(from: webhook, templates: templates)))
        }
        if let manager = mapping["alertmanager"] {
            let fields = try manager.mapping(of: "'alertmanager'", allowedKeys: ["url", "timeout"])
            let url = try fields.required("url").httpURL("'url'")
            integrations.append(
                .alertmanager(url: url, timeout: try fields["timeout"]?.duration("'timeout'") ?? .seconds(10)))
        }
        if let telegram = mapping["telegram"] {
            integrations.append(.telegram(try TelegramTarget(from: telegram, templates: templates)))
        }
        if let email = mapping["email"] {
            integrations.append(.email(try EmailTarget(from: email, templates: templates)))
        }
        guard !integrations.isEmpty else {
            throw node.error("receiver '\(name)' has nowhere to send: give one of \(kinds.joined(separator: ", "))")
        }
        return Receiver(name: name, integrations: integrations)
    }

    static let facilities = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp",
        "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4", "local5", "local6",
        "local7",
    ]

    private static func syslogTarget(_ node: ConfigNode) throws(ConfigError) -> SyslogTarget {
        if case .null = node.value {
            return SyslogTarget(transport: .unix(path: "/dev/log"), facility: 16, appName: "iocd")
        }
        let fields = try node.mapping(of: "'syslog'", allowedKeys: ["address", "facility", "app_name"])
        var transport = SyslogTarget.Transport.unix(path: "/dev/log")
        if let addressNode = fields["address"] {
            let address = try addressNode.string("'address'")
            if address.hasPrefix("/") {
                transport = .unix(path: address)
            } else if let (scheme, host, port) = hostPort(address), scheme == "udp" || scheme == "tcp" {
                transport = scheme == "udp" ? .udp(host: host, port: port) : .tcp(host: host, port: port)
            } else {
                throw addressNode.error(
                    "'\(address)' is not a syslog address; expected a socket path, udp://host:port or tcp://host:port")
            }
        }
        var facility = 16
        if let facilityNode = fields["facility"] {
            let name = try facilityNode.string("'facility'")
            guard let index = facilities.firstIndex(of: name) else {
                throw facilityNode.error(
                    "unknown facility '\(name)'; expected one of \(facilities.joined(separator: ", "))")
            }
            facility = index
        }
        return SyslogTarget(
            transport: transport, facility: facility, appName: try fields["app_name"]?.string("'app_name'") ?? "iocd")
    }

    private static func hostPort(_ address: String) -> (String, String, Int)? {
        guard let schemeEnd = address.range(of: "://") else { return nil }
        let scheme = String(address[..<schemeEnd.lowerBound])
        let rest = address[schemeEnd.upperBound...]
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), port > 0,
            port < 65_536
        else { return nil }
        var host = String(rest[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (scheme, host, port)
    }
}

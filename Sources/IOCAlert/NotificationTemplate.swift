import Foundation
public import IOCCore

/// The named templates every receiver's texts can call, as Alertmanager's `templates:` files: IOC's
/// shipped ones (`email.default.subject`, `telegram.default.message`, ... in the centre's language,
/// times in its zone), then the operator's files, whose definitions replace shipped ones of the same
/// name.
public struct NotificationTemplates: Sendable {
    let definitions: [String: [TemplateNode]]

    /// The shipped templates in `language`, with times shown in the zone `timeZone` names.
    public static func shipped(language: Language, timeZone: String) -> NotificationTemplates {
        let text = ShippedTemplates.text(language: language, timeZone: timeZone)
        var parser = TemplateParser(text)
        // The shipped text is tested; a failure here is a bug, found by the test of every language.
        do { _ = try parser.parse() } catch { assertionFailure("shipped templates: \(error)") }
        return NotificationTemplates(definitions: parser.definitions)
    }

    private init(definitions: [String: [TemplateNode]]) { self.definitions = definitions }

    /// The shipped templates, then the files `patterns` match (globs, relative to `node`'s file).
    public func adding(files node: ConfigNode) throws(ConfigError) -> NotificationTemplates {
        var definitions = self.definitions
        for item in try node.sequence(of: "'templates'") {
            let pattern = try item.filePath("a template file pattern")
            guard let paths = FileGlob.paths(matching: pattern) else {
                throw item.error("cannot read the folder of '\(pattern)'")
            }
            if paths.isEmpty && !FileGlob.hasWildcard(pattern) { throw item.error("no template file '\(pattern)'") }
            for path in paths {
                guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20 else {
                    throw item.error("cannot read the template file '\(path)' (or it is over 1 MiB)")
                }
                var parser = TemplateParser(String(decoding: data, as: UTF8.self))
                do {
                    _ = try parser.parse()
                } catch {
                    throw ConfigError(file: path, "template error: \(error)")
                }
                definitions.merge(parser.definitions) { _, new in new }
            }
        }
        let result = NotificationTemplates(definitions: definitions)
        do {
            try TemplateParser.checkIncludes([], definitions: definitions, known: [])
        } catch {
            throw node.error("template error: \(error)")
        }
        return result
    }

    /// One receiver field's text (`subject`, `message`, a header's value), checked now: its syntax,
    /// and that every template it calls is defined.
    public func text(_ source: String, at node: ConfigNode) throws(ConfigError) -> NotificationText {
        var parser = TemplateParser(source)
        do {
            let nodes = try parser.parse()
            var all = definitions
            all.merge(parser.definitions) { _, own in own }
            try TemplateParser.checkIncludes(nodes, definitions: all, known: [])
            return NotificationText(nodes: nodes, definitions: all, source: source)
        } catch {
            throw node.error("template error: \(error)")
        }
    }

    /// A field left out: the shipped default (`{{ template "telegram.default.message" . }}`).
    public func shippedText(_ name: String) -> NotificationText {
        NotificationText(
            nodes: [.include(name, TemplatePipeline(commands: [[.field([])]]))], definitions: definitions,
            source: "{{ template \"\(name)\" . }}")
    }
}

/// One templated field of a receiver, expanded for each notification.
public struct NotificationText: Sendable {
    let nodes: [TemplateNode]
    let definitions: [String: [TemplateNode]]
    public let source: String

    /// The text for `data`; `escape` is applied to what each action prints (an HTML body's values),
    /// never to the template's own text or to `safeHtml` values.
    /// Past `maxBytes` the expansion fails, or with `truncating` stops and gives what it wrote.
    public func expand(
        _ data: NotificationData, escape: (@Sendable (String) -> String)? = nil, maxBytes: Int = 1 << 20,
        truncating: Bool = false
    ) throws(TemplateError) -> String {
        var context = TemplateContext(variables: ["$": data.value], definitions: definitions, escape: escape)
        context.maxOutput = maxBytes
        context.truncates = truncating
        var output = ""
        do {
            _ = try context.run(nodes, dot: data.value, into: &output)
        } catch  where truncating && error.message == TemplateError.outputFull.message {
            return output
        }
        return output
    }
}

/// What a notification template sees, with Alertmanager's names: `.Receiver`, `.Status`,
/// `.Alerts` (`.Firing`, `.Resolved`; each with `.Status`, `.Labels`, `.Annotations`, `.StartsAt`,
/// `.EndsAt`, `.GeneratorURL`, `.Fingerprint`), `.GroupLabels`, `.CommonLabels`,
/// `.CommonAnnotations`, `.ExternalURL`.
public struct NotificationData: Sendable {
    let value: TemplateValue

    public init(_ notification: Notification, externalURL: String) {
        let alerts: [TemplateValue] = notification.alerts.map { alert in
            .record(
                type: "template.Alert",
                fields: [
                    TemplateField(name: "Status", value: .string(alert.isResolved ? "resolved" : "firing")),
                    TemplateField(name: "Labels", value: .kv(NotificationPayload.dictionary(alert.labels))),
                    TemplateField(name: "Annotations", value: .kv(NotificationPayload.dictionary(alert.annotations))),
                    TemplateField(name: "StartsAt", value: .time(.utc(alert.startsAt))),
                    TemplateField(name: "EndsAt", value: .time(alert.endsAt.map(TemplateTime.utc) ?? .zero)),
                    TemplateField(name: "GeneratorURL", value: .string(externalURL)),
                    TemplateField(name: "Fingerprint", value: .string(NotificationPayload.fingerprint(alert.labels))),
                ])
        }
        value = .record(
            type: "template.Data",
            fields: [
                TemplateField(name: "Receiver", value: .string(notification.receiver)),
                TemplateField(name: "Status", value: .string(notification.isFiring ? "firing" : "resolved")),
                TemplateField(name: "Alerts", value: .list(alerts, kind: .alerts)),
                TemplateField(
                    name: "GroupLabels", value: .kv(NotificationPayload.dictionary(notification.groupLabels))),
                TemplateField(
                    name: "CommonLabels", value: .kv(NotificationPayload.common(notification.alerts.map(\.labels)))),
                TemplateField(
                    name: "CommonAnnotations",
                    value: .kv(NotificationPayload.common(notification.alerts.map(\.annotations)))),
                TemplateField(name: "ExternalURL", value: .string(externalURL)),
            ])
    }
}

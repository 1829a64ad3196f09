import Foundation
public import IOCCore
public import IOCHTTP

/// Alertmanager's API v2 of a running iocd (or of an Alertmanager): `ioc alerts --source URL` and
/// `ioc silence ... --source URL`, so that an operator silences and reads alerts with no access to
/// the store's file. Credentials go in the URL (`http://USER:PASSWORD@host:9420`), as for amtool.
public struct RemoteAlertmanager: Sendable {
    public let base: String
    public let client: HTTPClient

    public init(base: String, client: HTTPClient) {
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
        self.client = client
    }

    /// A firing alert as the API shows it: its labels and what mutes it.
    public struct MutedAlert: Sendable {
        public var labels: Labels
        public var silencedBy: [String]
        public var inhibitedBy: [String]
    }

    /// Every firing alert, muted or not.
    public func alerts() throws -> [MutedAlert] {
        let items = try array(call("GET", "/api/v2/alerts?active=true&silenced=true&inhibited=true"))
        return items.map { item in
            let status = item["status"] as? [String: Any]
            return MutedAlert(
                labels: RemoteAlertmanager.labels(item["labels"]),
                silencedBy: status?["silencedBy"] as? [String] ?? [],
                inhibitedBy: status?["inhibitedBy"] as? [String] ?? [])
        }
    }

    /// Every silence the API keeps, ended ones included.
    public func silences() throws -> [Silence] {
        try array(call("GET", "/api/v2/silences")).compactMap { item in
            guard let id = item["id"] as? String,
                let starts = (item["startsAt"] as? String).flatMap(UTCTime.parseRFC3339),
                let ends = (item["endsAt"] as? String).flatMap(UTCTime.parseRFC3339)
            else { return nil }
            let matchers = (item["matchers"] as? [[String: Any]] ?? []).compactMap { matcher -> LabelMatcher? in
                guard let name = matcher["name"] as? String, let value = matcher["value"] as? String else { return nil }
                return try? LabelMatcher(
                    alertmanager: name, value: value, isRegex: matcher["isRegex"] as? Bool ?? false,
                    isEqual: matcher["isEqual"] as? Bool ?? true)
            }
            return Silence(
                id: id, matchers: matchers, startsAt: starts, endsAt: ends,
                createdBy: item["createdBy"] as? String ?? "", comment: item["comment"] as? String ?? "")
        }
    }

    /// Adds `silence` (its id is the server's to choose) and returns the id it got.
    public func add(_ silence: Silence) throws -> String {
        let matchers: [[String: Any]] = silence.matchers.map { matcher in
            ["name": matcher.name, "value": matcher.value, "isRegex": matcher.isRegex, "isEqual": matcher.isEqual]
        }
        let body: [String: Any] = [
            "matchers": matchers, "startsAt": UTCTime.rfc3339(silence.startsAt),
            "endsAt": UTCTime.rfc3339(silence.endsAt), "createdBy": silence.createdBy, "comment": silence.comment,
        ]
        let answer = try call("POST", "/api/v2/silences", body: try JSONSerialization.data(withJSONObject: body))
        guard let id = (answer as? [String: Any])?["silenceID"] as? String else {
            throw RemoteQuery.RemoteError("remote.no_silence_id", ["url": base])
        }
        return id
    }

    /// Ends the silence `id` now; false when the server has no such active silence.
    public func expire(_ id: String) throws -> Bool {
        do {
            _ = try call("DELETE", "/api/v2/silence/" + RemoteQuery.percentEncoded(id))
            return true
        } catch let error as Refused where error.status == 404 {
            return false
        }
    }

    struct Refused: Error, CustomStringConvertible {
        var status: Int
        var description: String
    }

    /// The JSON of an answer in 2xx; the server's message (Alertmanager's errors are JSON strings)
    /// otherwise.
    private func call(_ method: String, _ path: String, body: Data? = nil) throws -> Any? {
        let answer = client.performWaiting(
            HTTPRequest(
                url: base + path, method: method,
                headers: body == nil ? [] : [("Content-Type", "application/json")], body: body.map { Array($0) },
                timeout: .seconds(30), maxBodyBytes: 64 << 20))
        guard let status = answer.status else {
            throw RemoteQuery.RemoteError(
                "remote.no_answer", ["url": base, "reason": answer.failure.map { "\($0)" } ?? ""])
        }
        let json =
            answer.body.isEmpty
            ? nil : try? JSONSerialization.jsonObject(with: Data(answer.body), options: .fragmentsAllowed)
        guard (200..<300).contains(status) else {
            // The server's words, which reach a terminal: their control characters written out.
            let message = json as? String ?? String(decoding: answer.body.prefix(200), as: UTF8.self)
            let shown = ControlCharacters.escaped(String(message.prefix(500)))
            throw Refused(status: status, description: "\(base): HTTP \(status): \(shown)")
        }
        return json
    }

    private func array(_ json: Any?) throws -> [[String: Any]] {
        guard let items = json as? [[String: Any]] else {
            throw RemoteQuery.RemoteError("remote.not_alertmanager", ["url": base])
        }
        return items
    }

    private static func labels(_ json: Any?) -> Labels {
        Labels(((json as? [String: String]) ?? [:]).map { ($0.key, $0.value) })
    }
}

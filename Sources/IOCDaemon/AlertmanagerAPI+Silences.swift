import Foundation
import IOCCore
import IOCQuery
import IOCStore

/// Silences through Alertmanager's API v2, kept in the store as `ioc silence` keeps them.
extension AlertmanagerAPI {
    func silences(_ request: APIRequest) -> APIResponse {
        let matchers: [LabelMatcher]
        switch AlertmanagerAPI.filter(request) {
        case .success(let parsed): matchers = parsed
        case .failure(let refusal): return refusal.response
        }
        let now = clock()
        do {
            let all = try readers.with { try $0.silences(parsing: Selector.matchers(parsing:)) }
            // As Alertmanager: a filter matcher must match the value the silence gives its label.
            let chosen = all.filter { silence in
                matchers.allSatisfy { matcher in
                    silence.matchers.first { $0.name == matcher.name }.map { matcher.matches($0.value) } ?? false
                }
            }
            // Active ones first (ending soonest first), then pending, then expired (latest first).
            let sorted = chosen.sorted { left, right in
                let (a, b) = (AlertmanagerAPI.rank(left, now), AlertmanagerAPI.rank(right, now))
                if a != b { return a < b }
                switch a {
                case 0: return left.endsAt < right.endsAt
                case 1: return left.startsAt < right.startsAt
                default: return left.endsAt > right.endsAt
                }
            }
            return .json("[" + sorted.map { AlertmanagerAPI.json($0, now: now) }.joined(separator: ",") + "]")
        } catch {
            return AlertmanagerAPI.problem("\(error)", status: 500)
        }
    }

    func silence(_ id: String) -> APIResponse {
        do {
            let all = try readers.with { try $0.silences(parsing: Selector.matchers(parsing:)) }
            guard let found = all.first(where: { $0.id == id }) else {
                return AlertmanagerAPI.problem("silence \(id) not found", status: 404)
            }
            return .json(AlertmanagerAPI.json(found, now: clock()))
        } catch {
            return AlertmanagerAPI.problem("\(error)", status: 500)
        }
    }

    func expire(_ id: String) -> APIResponse {
        do {
            guard try SilenceStore(path: storePath).expire(id, at: clock()) else {
                return AlertmanagerAPI.problem("silence \(id) not found or already expired", status: 404)
            }
            return APIResponse(status: 200, contentType: "application/json", body: "")
        } catch {
            return AlertmanagerAPI.problem("\(error)", status: 500)
        }
    }

    /// A postable silence: matchers, startsAt, endsAt, createdBy and comment, all required as
    /// Alertmanager requires them; with the `id` of a silence, that one ends and this replaces it.
    func addSilence(_ request: APIRequest) -> APIResponse {
        // Only JSON, as amtool and Grafana send it: a web page can post a form (text/plain,
        // url-encoded) to a loopback listener without asking, but not JSON, which needs a CORS
        // preflight that this listener never grants. So a page the operator opens cannot silence.
        let type = request.header("content-type")?.lowercased() ?? ""
        guard type.hasPrefix("application/json") else {
            return AlertmanagerAPI.problem("a silence is posted as application/json", status: 415)
        }
        // A silence is kept for good in the store: one is bounded (Alertmanager bounds them too).
        guard let body = request.body, body.utf8.count <= AlertmanagerAPI.maxSilenceBytes else {
            return AlertmanagerAPI.problem("a silence is at most \(AlertmanagerAPI.maxSilenceBytes) bytes of JSON")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)),
            let fields = object as? [String: Any]
        else { return AlertmanagerAPI.problem("the body must be a JSON object (a postable silence)") }
        let parsed: Silence
        switch AlertmanagerAPI.silence(from: fields, now: clock()) {
        case .success(let silence): parsed = silence
        case .failure(let refusal): return refusal.response
        }
        do {
            let store = try SilenceStore(path: storePath)
            if let replaced = fields["id"] as? String, !replaced.isEmpty {
                guard try store.expire(replaced, at: clock()) else {
                    return AlertmanagerAPI.problem("silence \(replaced) not found or already expired", status: 404)
                }
            }
            try store.add(parsed)
        } catch {
            return AlertmanagerAPI.problem("\(error)", status: 500)
        }
        return .json(#"{"silenceID":\#(PrometheusWire.json(parsed.id))}"#)
    }

    /// The largest silence accepted, as JSON: room for many matchers and a long comment.
    static let maxSilenceBytes = 64 * 1024

    static func silence(from fields: [String: Any], now: Int64) -> Result<Silence, Refusal> {
        func refuse(_ message: String) -> Result<Silence, Refusal> { .failure(Refusal(response: problem(message))) }
        guard let given = fields["matchers"] as? [[String: Any]], !given.isEmpty else {
            return refuse("a silence needs at least one matcher")
        }
        var matchers: [LabelMatcher] = []
        for item in given {
            guard let name = item["name"] as? String, let value = item["value"] as? String, !name.isEmpty else {
                return refuse("a matcher needs a name and a value")
            }
            guard
                let matcher = try? LabelMatcher(
                    alertmanager: name, value: value, isRegex: item["isRegex"] as? Bool ?? false,
                    isEqual: item["isEqual"] as? Bool ?? true)
            else {
                return refuse("invalid regular expression in matcher \(name): \(value)")
            }
            matchers.append(matcher)
        }
        guard !matchers.allSatisfy(\.matchesEmpty) else {
            return refuse("at least one matcher must not match the empty string")
        }
        guard let starts = (fields["startsAt"] as? String).flatMap(UTCTime.parseRFC3339),
            let ends = (fields["endsAt"] as? String).flatMap(UTCTime.parseRFC3339)
        else { return refuse("startsAt and endsAt must be RFC 3339 times") }
        guard ends > starts else { return refuse("endsAt must be after startsAt") }
        guard ends > now else { return refuse("endsAt must be in the future") }
        guard let author = fields["createdBy"] as? String, !author.isEmpty else {
            return refuse("createdBy must not be empty")
        }
        guard let comment = fields["comment"] as? String, !comment.isEmpty else {
            return refuse("comment must not be empty")
        }
        return .success(
            Silence(
                id: UUID().uuidString.lowercased(), matchers: matchers, startsAt: max(starts, now), endsAt: ends,
                createdBy: author, comment: comment))
    }

    /// 0 active, 1 pending, 2 expired.
    static func rank(_ silence: Silence, _ now: Int64) -> Int {
        silence.endsAt <= now ? 2 : silence.startsAt > now ? 1 : 0
    }

    static func json(_ silence: Silence, now: Int64) -> String {
        let state = ["active", "pending", "expired"][rank(silence, now)]
        let matchers = silence.matchers.map { matcher in
            #"{"isEqual":\#(matcher.isEqual),"isRegex":\#(matcher.isRegex),"name":\#(PrometheusWire.json(matcher.name)),"#
                + #""value":\#(PrometheusWire.json(matcher.value))}"#
        }
        var text = #"{"id":\#(PrometheusWire.json(silence.id)),"status":{"state":"\#(state)"},"#
        text += #""updatedAt":"\#(UTCTime.rfc3339(min(silence.startsAt, now)))","#
        text +=
            #""comment":\#(PrometheusWire.json(silence.comment)),"createdBy":\#(PrometheusWire.json(silence.createdBy)),"#
        text += #""endsAt":"\#(UTCTime.rfc3339(silence.endsAt))","matchers":[\#(matchers.joined(separator: ","))],"#
        text += #""startsAt":"\#(UTCTime.rfc3339(silence.startsAt))"}"#
        return text
    }
}

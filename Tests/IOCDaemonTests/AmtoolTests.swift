import Foundation
import IOCCore
import TestSupport
import Testing

/// Debian's amtool (prometheus-alertmanager) against iocd's Alertmanager API v2: it adds, queries
/// and expires a silence, lists the alerts with the silenced one marked, and the silence holds back
/// that alert's notifications until it is expired. The listener asks for basic auth, and amtool
/// gives it in the URL, as an operator would. The portal the daemon probes answers until the
/// silence is in place, so that the alerts fire after it however slowly the machine runs.
@Suite struct AmtoolTests {
    struct Daemon {
        let directory: TemporaryDirectory
        let port = refusedPort()
        let process: TestProcess
        let sink: WebhookSink
        /// The portal: answers until the test stops it, then the probe fails and the alerts fire.
        let portal: WebhookSink
        var url: String { "http://ops:s3cret@127.0.0.1:\(port)" }

        init() throws {
            directory = try TemporaryDirectory()
            sink = try WebhookSink(port: 0)
            portal = try WebhookSink(port: 0)
            try directory.write("password", "s3cret\n")
            let config = try directory.write(
                "iocd.yaml",
                """
                storage: {path: ioc.db}
                probe_files: [probes.yaml]
                rule_files: [rules.yaml]
                evaluation_interval: 1s
                http:
                  listen: '127.0.0.1:\(port)'
                  basic_auth: {username: ops, password_file: password}
                notifications:
                  route: {receiver: hook, group_by: [alertname], group_wait: 1s, group_interval: 1s, repeat_interval: 1h}
                  receivers:
                    - name: hook
                      webhook: {url: 'http://127.0.0.1:\(sink.port)/'}
                  inhibit_rules:
                    - source_matchers: ['alertname="PortalDown"']
                      target_matchers: ['alertname="PortalSlow"']
                      equal: [province]
                """)
            try directory.write(
                "probes.yaml",
                "groups:\n  - name: portal\n    interval: 1s\n    timeout: 500ms\n    labels: {province: Huế}\n"
                    + "    targets:\n      - url: http://127.0.0.1:\(portal.port)/health\n")
            try directory.write(
                "rules.yaml",
                """
                groups:
                  - name: portal
                    rules:
                      - alert: PortalDown
                        expr: probe_success == 0
                        for: 3s
                        labels: {severity: critical}
                        annotations: {summary: 'Cổng dịch vụ công không trả lời'}
                      - alert: PortalDownToo
                        expr: probe_success == 0
                        for: 3s
                      - alert: PortalSlow
                        expr: probe_success == 0
                        for: 3s
                """)
            process = try TestProcess(try BuiltProduct.path("iocd"), ["--config", config])
        }

        func amtool(_ arguments: [String]) async throws -> (status: Int32?, stdout: String, stderr: String) {
            try await TestProcess.run("/usr/bin/amtool", ["--alertmanager.url=\(url)"] + arguments)
        }

        /// Whether a notification for the alert named `name` reached the webhook.
        func notified(_ name: String) -> Bool {
            sink.requests.contains { $0.body.contains(#""alertname":"\#(name)""#) }
        }
    }

    static func json(_ text: String) -> [[String: Any]] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [[String: Any]] ?? []
    }

    static func names(_ alerts: [[String: Any]]) -> Set<String> {
        Set(alerts.compactMap { ($0["labels"] as? [String: String])?["alertname"] })
    }

    /// `ioc alerts` and `ioc silence` with `--source`: an operator with no access to the store's file.
    static func iocThroughTheAPI(_ daemon: Daemon, silence id: String) async throws {
        let ioc = try BuiltProduct.path("ioc")
        let alerts = try await TestProcess.run(ioc, ["alerts", "--source", daemon.url, "-o", "json"])
        let states = alerts.stdout.split(separator: "\n").compactMap { line -> (String, String)? in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            guard let name = (object?["labels"] as? [String: String])?["alertname"] else { return nil }
            return (name, object?["muted"] as? String ?? object?["state"] as? String ?? "")
        }
        #expect(
            Dictionary(states) { a, _ in a }
                == ["PortalDown": "silenced", "PortalDownToo": "firing", "PortalSlow": "inhibited"], "\(alerts)")
        let listed = try await TestProcess.run(ioc, ["silence", "list", "--source", daemon.url, "-o", "json"])
        #expect(listed.stdout.contains(#""id":"\#(id)""#) && listed.stdout.contains("Nâng cấp cổng"), "\(listed)")
        // A second silence added and ended through the API, not the file.
        let added = try await TestProcess.run(
            ioc, ["silence", "add", "--source", daemon.url, "province=Huế", "--for", "10m", "--comment", "thử"])
        let second = added.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(added.status == 0 && second.count == 36 && second != id, "\(added)")
        #expect(try await daemon.amtool(["silence", "query", "-q"]).stdout.contains(second))
        let ended = try await TestProcess.run(ioc, ["silence", "expire", "--source", daemon.url, second])
        #expect(ended.status == 0, "\(ended)")
        #expect(!(try await daemon.amtool(["silence", "query", "-q"]).stdout.contains(second)))
        let again = try await TestProcess.run(ioc, ["silence", "expire", "--source", daemon.url, second])
        #expect(again.status == 1 && again.stderr.contains("no active silence"), "\(again)")
        let refused = try await TestProcess.run(
            ioc, ["alerts", "--source", "http://127.0.0.1:\(daemon.port)", "-o", "json"])
        #expect(refused.status == 1 && refused.stderr.contains("401"), "\(refused)")
    }

    @Test func amtoolSilencesQueriesAndExpiresAndTheSilenceHoldsNotificationsBack() async throws {
        try await HeavyTests.one {
            let daemon = try Daemon()
            defer {
                daemon.process.signal(SIGTERM)
                daemon.sink.stop()
                daemon.portal.stop()
            }
            let up = try await waitUntil(timeout: .seconds(20)) {
                try await daemon.amtool(["silence", "query"]).status == 0
            }
            #expect(up, "\(daemon.process.standardError)")
            // Without the listener's credentials: refused.
            let anonymous = try await TestProcess.run(
                "/usr/bin/amtool", ["--alertmanager.url=http://127.0.0.1:\(daemon.port)", "silence", "query"])
            #expect(anonymous.status != 0)

            // Before the alert fires: silenced by amtool.
            let added = try await daemon.amtool([
                "silence", "add", "alertname=PortalDown", "--comment=Nâng cấp cổng", "--duration=1h", "--author=an",
            ])
            let id = added.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(added.status == 0 && id.count == 36, "\(added)")
            let listed = Self.json(try await daemon.amtool(["silence", "query", "-o", "json"]).stdout)
            let silence = listed.first { $0["id"] as? String == id }
            #expect((silence?["status"] as? [String: String])?["state"] == "active", "\(listed)")
            #expect(silence?["comment"] as? String == "Nâng cấp cổng" && silence?["createdBy"] as? String == "an")
            #expect(try await daemon.amtool(["silence", "query", "-q"]).stdout.contains(id))
            // The same silence the store keeps for `ioc silence`.
            let ioc = try await TestProcess.run(
                try BuiltProduct.path("ioc"), ["silence", "list", "--db", daemon.directory.file("ioc.db")])
            #expect(ioc.stdout.contains(id) && ioc.stdout.contains("Nâng cấp cổng"), "\(ioc)")

            // The portal goes down. The unsilenced twin is notified; the silenced one is not, and
            // amtool shows it suppressed.
            daemon.portal.stop()
            #expect(await waitUntil(timeout: .seconds(30)) { daemon.notified("PortalDownToo") })
            #expect(!daemon.notified("PortalDown"))
            let active = Self.json(try await daemon.amtool(["alert", "query", "-o", "json"]).stdout)
            #expect(Self.names(active) == ["PortalDownToo"], "\(active)")
            let silenced = Self.json(try await daemon.amtool(["alert", "query", "-s", "-o", "json"]).stdout)
            let muted = silenced.first { ($0["labels"] as? [String: String])?["alertname"] == "PortalDown" }
            let status = muted?["status"] as? [String: Any]
            #expect(status?["state"] as? String == "suppressed" && status?["silencedBy"] as? [String] == [id])
            // Inhibited by the silenced PortalDown (same province), as Alertmanager shows it.
            let inhibited = Self.json(try await daemon.amtool(["alert", "query", "-i", "-o", "json"]).stdout)
            let slow = inhibited.first { ($0["labels"] as? [String: String])?["alertname"] == "PortalSlow" }
            let inhibitedBy = (slow?["status"] as? [String: Any])?["inhibitedBy"] as? [String]
            #expect(inhibitedBy == [muted?["fingerprint"] as? String ?? "?"], "\(inhibited)")
            #expect(!daemon.notified("PortalSlow"))
            // What amtool's `config show` and Grafana's health check read.
            let shown = try await daemon.amtool(["config", "show"])
            #expect(shown.status == 0 && shown.stdout.contains("notifications section of iocd.yaml"), "\(shown)")
            let amStatus =
                try JSONSerialization.jsonObject(
                    with: Data(
                        try await TestProcess.run("/usr/bin/curl", ["-s", "\(daemon.url)/api/v2/status"]).stdout.utf8))
                as? [String: Any]
            #expect(Set(amStatus?.keys.map { $0 } ?? []) == ["cluster", "config", "uptime", "versionInfo"])
            #expect((amStatus?["versionInfo"] as? [String: String])?["version"] == IOCVersion.current)
            // Grafana's Alertmanager data source reads the groups: one per alert name, to the receiver.
            let groups = Self.json(
                try await TestProcess.run("/usr/bin/curl", ["-s", "\(daemon.url)/api/v2/alerts/groups"]).stdout)
            #expect(groups.count == 3 && groups.allSatisfy { ($0["receiver"] as? [String: String])?["name"] == "hook" })
            let filtered = Self.json(
                try await daemon.amtool(["alert", "query", "-s", "-a", "-o", "json", "severity=critical"]).stdout)
            #expect(Self.names(filtered) == ["PortalDown"], "\(filtered)")

            try await Self.iocThroughTheAPI(daemon, silence: id)
            #expect(!daemon.notified("PortalDown"), "held back while amtool looked")
            // What amtool would refuse to send is refused here too, as Alertmanager refuses it.
            for body in [
                "not json",
                #"{"matchers":[],"startsAt":"2026-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z","createdBy":"a","comment":"c"}"#,
                #"{"matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2020-01-01T00:00:00Z","endsAt":"2020-01-02T00:00:00Z","createdBy":"a","comment":"c"}"#,
                #"{"matchers":[{"name":"a","value":".*","isRegex":true}],"startsAt":"2026-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z","createdBy":"a","comment":"c"}"#,
                #"{"matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2026-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z","createdBy":"a","comment":""}"#,
                #"{"matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2026-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z","createdBy":"a","comment":""#
                    + String(repeating: "x", count: 70_000) + #""}"#,
            ] {
                let answer = try await TestProcess.run(
                    "/usr/bin/curl",
                    [
                        "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/json", "--data",
                        body,
                        "\(daemon.url)/api/v2/silences",
                    ])
                #expect(answer.stdout == "400", "\(body): \(answer.stdout)")
            }

            // A form a web page could post to the listener: refused, whatever its body says.
            let valid =
                #"{"matchers":[{"name":"a","value":"b","isRegex":false}],"startsAt":"2026-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z","createdBy":"a","comment":"c"}"#
            let form = try await TestProcess.run(
                "/usr/bin/curl",
                [
                    "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: text/plain", "--data", valid,
                    "\(daemon.url)/api/v2/silences",
                ])
            #expect(form.stdout == "415", "\(form.stdout)")
            // A silence's id in the path is a UUID, or Alertmanager's own answer for its path parameter.
            let notUUID = try await TestProcess.run(
                "/usr/bin/curl", ["-s", "-w", " %{http_code}", "\(daemon.url)/api/v2/silence/abc"])
            #expect(
                notUUID.stdout == #"{"code":601,"message":"silenceID in path must be of type uuid: \"abc\""} 422"#,
                "\(notUUID.stdout)")

            // Expired by amtool: it no longer shows as active, and the alert's notification goes out.
            let expired = try await daemon.amtool(["silence", "expire", id])
            #expect(expired.status == 0, "\(expired)")
            #expect(!(try await daemon.amtool(["silence", "query", "-q"]).stdout.contains(id)))
            #expect(try await daemon.amtool(["silence", "query", "--expired", "-q"]).stdout.contains(id))
            #expect(await waitUntil(timeout: .seconds(20)) { daemon.notified("PortalDown") })
            #expect(try await daemon.amtool(["silence", "expire", id]).status != 0, "already expired")
        }
    }
}

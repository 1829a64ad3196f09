import Foundation
import IOCCore
import IOCStore
import TestSupport
import Testing

/// iocd's notifications reaching real counterparts on loopback, started by the test: Debian's
/// rsyslog (over UDP and a unix socket, writing to a file), Debian's Alertmanager (its API then
/// lists the alert), an exec hook, and a webhook receiver that is down until after a restart.
@Suite(.serialized) struct NotificationEndToEndTests {
    static let rsyslogd = "/usr/sbin/rsyslogd"
    static let alertmanager = "/usr/bin/prometheus-alertmanager"

    func startRsyslog(in directory: TemporaryDirectory, udpPort: Int, tcpPort: Int) throws -> TestProcess {
        let config = try directory.write(
            "rsyslog.conf",
            """
            global(workDirectory="\(directory.path)")
            module(load="imudp")
            input(type="imudp" address="127.0.0.1" port="\(udpPort)")
            module(load="imtcp")
            input(type="imtcp" address="127.0.0.1" port="\(tcpPort)")
            module(load="imuxsock" SysSock.Use="off")
            input(type="imuxsock" Socket="\(directory.file("log.sock"))" UseSpecialParser="off" ParseHostname="on")
            template(name="fields" type="string"
                     string="%pri%|%app-name%|%msgid%|%structured-data%|%msg%\\n")
            action(type="omfile" file="\(directory.file("syslog.out"))" template="fields")
            """)
        return try TestProcess(
            Self.rsyslogd, ["-n", "-f", config, "-i", directory.file("rsyslogd.pid")])
    }

    func startAlertmanager(in directory: TemporaryDirectory, port: Int) throws -> TestProcess {
        let config = try directory.write(
            "alertmanager.yml", "route:\n  receiver: nobody\nreceivers:\n  - name: nobody\n")
        return try TestProcess(
            Self.alertmanager,
            [
                "--config.file=\(config)", "--storage.path=\(directory.file("am-data"))",
                "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=",
            ])
    }

    func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test func alertsReachSyslogAlertmanagerAHookAndAWebhookThatComesBack() async throws {
        try await HeavyTests.one {
            let directory = try TemporaryDirectory()
            let udpPort = freeUDPPort()
            let tcpPort = refusedPort()
            let rsyslog = try startRsyslog(in: directory, udpPort: udpPort, tcpPort: tcpPort)
            defer { rsyslog.signal(SIGTERM) }
            let amPort = refusedPort()
            let manager = try startAlertmanager(in: directory, port: amPort)
            defer { manager.signal(SIGTERM) }
            let webhookPort = refusedPort()
            let closed = ClosedPort()
            defer { withExtendedLifetime(closed) {} }
            // The hook records its arguments, environment and input.
            let hook = try directory.write(
                "hook.sh",
                """
                #!/bin/sh
                printf '%s\\n' "$@" > "\(directory.file("hook.args"))"
                env | grep '^IOC_ALERT_' | sort > "\(directory.file("hook.env"))"
                cat > "\(directory.file("hook.stdin"))"
                """)
            chmod(hook, 0o755)
            let config = try directory.write(
                "iocd.yaml",
                """
                storage: {path: ioc.db}
                probe_files: [probes.yaml]
                rule_files: [rules.yaml]
                evaluation_interval: 1s
                external_url: http://ioc.example/
                notifications:
                  route:
                    receiver: everyone
                    group_by: [alertname, province]
                    group_wait: 1s
                    group_interval: 2s
                    repeat_interval: 1h
                    routes:
                      - matchers: ['alertname="ServiceDown"']
                        receiver: everyone
                        continue: true
                      - matchers: ['alertname="ServiceDown"']
                        receiver: local
                        continue: true
                      - matchers: ['alertname="ServiceDown"']
                        receiver: collector
                        continue: true
                      - matchers: ['alertname="ServiceDown"']
                        receiver: central
                  receivers:
                    - name: everyone
                      syslog: {address: 'udp://127.0.0.1:\(udpPort)', facility: local3}
                      exec: {command: ['\(hook)', '--from', 'iocd'], timeout: 5s}
                      webhook: {url: 'http://127.0.0.1:\(webhookPort)/hook'}
                    - name: local
                      syslog: {address: '\(directory.file("log.sock"))', app_name: iocd-local}
                    - name: collector
                      syslog: {address: 'tcp://127.0.0.1:\(tcpPort)', app_name: iocd-tcp}
                    - name: central
                      alertmanager: {url: 'http://127.0.0.1:\(amPort)'}
                """)
            // A label value as a hostile feed might give it: shell syntax, a newline, an escape sequence.
            try directory.write(
                "probes.yaml",
                """
                groups:
                  - name: portal
                    interval: 1s
                    timeout: 500ms
                    labels: {province: Huế, service: dvc, note: "; rm -rf / \\n\\u001b[31mred"}
                    targets:
                      - url: http://127.0.0.1:\(closed.number)/health
                """)
            try directory.write(
                "rules.yaml",
                """
                groups:
                  - name: availability
                    rules:
                      - alert: ServiceDown
                        expr: probe_success == 0
                        labels: {severity: critical}
                        annotations: {summary: '{{ $labels.service }} of {{ $labels.province }} is down'}
                """)
            let iocd = try BuiltProduct.path("iocd")
            var daemon = try TestProcess(iocd, ["--config", config])

            // rsyslog: one RFC 5424 message, local3 (19) × 8 + critical (2) = 154, on one line.
            let syslogOut = directory.file("syslog.out")
            let logged = await waitUntil(timeout: .seconds(30)) {
                lines(syslogOut).contains { $0.contains("ServiceDown") }
            }
            #expect(logged, "iocd: \(daemon.standardError)\nrsyslog: \(rsyslog.standardError)")
            let message = try #require(lines(syslogOut).first { $0.contains("ServiceDown") && $0.contains("|iocd|") })
            let local = await waitUntil(timeout: .seconds(10)) {
                lines(syslogOut).contains { $0.contains("|iocd-local|firing|") }
            }
            #expect(local, "\(lines(syslogOut))")
            let fields = message.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            #expect(fields.first == "154", "\(message)")
            #expect(fields[1] == "iocd" && fields[2] == "firing", "\(message)")
            #expect(message.contains(#"province="Huế""#) && message.contains(#"alertname="ServiceDown""#), "\(message)")
            #expect(message.contains(#"note="; rm -rf / \n\u001b[31mred""#), "\(message)")
            #expect(message.hasSuffix("ServiceDown firing: dvc of Huế is down"), "\(message)")

            // The hook: its arguments as configured, the alert as data in its input and environment.
            let hooked = await waitUntil(timeout: .seconds(20)) {
                FileManager.default.fileExists(atPath: directory.file("hook.stdin"))
                    && !lines(directory.file("hook.stdin")).isEmpty
            }
            #expect(hooked, "\(daemon.standardError)")
            #expect(lines(directory.file("hook.args")) == ["--from", "iocd"])
            let environment = lines(directory.file("hook.env"))
            #expect(
                environment.contains("IOC_ALERT_STATUS=firing") && environment.contains("IOC_ALERT_LABEL_PROVINCE=Huế"),
                "\(environment)")
            let input =
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: directory.file("hook.stdin"))))
                as? [String: Any]
            let alert = (input?["alerts"] as? [[String: Any]])?.first
            #expect((alert?["labels"] as? [String: String])?["note"] == "; rm -rf / \n\u{1b}[31mred")
            #expect(input?["version"] as? String == "4" && input?["status"] as? String == "firing")

            // Alertmanager lists the alert.
            let forwarded = try await waitUntil(timeout: .seconds(30)) {
                let (status, body) = try await Self.get("http://127.0.0.1:\(amPort)/api/v2/alerts")
                return status == 200 && body.contains("\"alertname\":\"ServiceDown\"") && body.contains("Hu")
            }
            #expect(forwarded, "iocd: \(daemon.standardError)\nalertmanager: \(manager.standardError)")

            // The webhook is down: iocd retries, and keeps the notification across a restart.
            let retried = await waitUntil(timeout: .seconds(20)) {
                daemon.standardError.contains("cannot deliver notifications")
            }
            #expect(retried, "\(daemon.standardError)")
            daemon.signal(SIGTERM)
            #expect(await daemon.exitStatus() == 0, "\(daemon.standardError)")
            daemon = try TestProcess(iocd, ["--config", config])
            defer { daemon.signal(SIGTERM) }
            let sink = try WebhookSink(port: webhookPort)
            defer { sink.stop() }
            let delivered = await waitUntil(timeout: .seconds(30)) { !sink.requests.isEmpty }
            #expect(delivered, "\(daemon.standardError)")
            let body = try #require(sink.requests.first)
            #expect(body.path == "/hook")
            let hookJSON = try JSONSerialization.jsonObject(with: Data(body.body.utf8)) as? [String: Any]
            #expect(hookJSON?["receiver"] as? String == "everyone")
            #expect((hookJSON?["groupLabels"] as? [String: String]) == ["alertname": "ServiceDown", "province": "Huế"])
            // The restart sent nothing twice: still one syslog message per receiver for the incident.
            let evaluated = await waitUntil(timeout: .seconds(10)) { daemon.standardError.contains("alerts restored") }
            #expect(evaluated, "\(daemon.standardError)")
            _ = await waitUntil(timeout: .seconds(4)) {
                lines(syslogOut).filter { $0.contains("ServiceDown") }.count > 3
            }
            #expect(lines(syslogOut).filter { $0.contains("ServiceDown") }.count == 3, "\(lines(syslogOut))")
        }
    }

    /// A GET with the daemon's own HTTP client would hide a client bug; curl is the reference.
    static func get(_ url: String) async throws -> (Int32?, String) {
        let result = try await TestProcess.run("/usr/bin/curl", ["-s", "-o", "-", url])
        return (result.status == 0 ? 200 : result.status, result.stdout)
    }
}

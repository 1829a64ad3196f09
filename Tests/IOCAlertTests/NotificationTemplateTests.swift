import Foundation
@testable import IOCAlert
import IOCCore
import TestSupport
import Testing

/// Notification templates read Alertmanager's data with Alertmanager's functions, and give the text
/// Debian's amtool 0.25 (`amtool template render`) gives for the same template and data.
@Suite struct NotificationTemplateTests {
    static let notification = IOCAlert.Notification(
        receiver: "trực-ban", groupKey: "{}:{alertname=\"ServiceDown\"}",
        groupLabels: Labels([("alertname", "ServiceDown")]),
        alerts: [
            NotifiableAlert(
                labels: Labels([
                    ("alertname", "ServiceDown"), ("province", "Huế"), ("service", "dvc"), ("severity", "critical"),
                    ("zz", "<b>&\"x\""),
                ]),
                annotations: Labels([("summary", "Cổng dịch vụ công ngừng"), ("description", "Gọi kỹ thuật")]),
                startsAt: 1_796_361_600_123),
            NotifiableAlert(
                labels: Labels([("alertname", "ServiceDown"), ("province", "Huế"), ("service", "vneid")]),
                annotations: Labels([("summary", "VNeID chậm")]), startsAt: 1_796_355_600_000,
                endsAt: 1_796_359_200_000),
        ], time: 1_796_361_700_000)

    static let cases: [String] = [
        #"[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .GroupLabels.SortedPairs.Values | join " " }} {{ if gt (len .CommonLabels) (len .GroupLabels) }}({{ with .CommonLabels.Remove .GroupLabels.Names }}{{ .Values | join " " }}{{ end }}){{ end }}"#,
        #"{{ range $i, $a := .Alerts }}{{ $i }}:{{ $a.Status }} {{ .Labels.province }} {{ .StartsAt }} {{ .EndsAt }}|{{ end }}"#,
        #"{{ range .Alerts.Firing }}{{ range .Labels.SortedPairs }}{{ .Name }}={{ .Value }};{{ end }}{{ end }}"#,
        #"{{ .CommonLabels }} {{ .GroupLabels.SortedPairs }} {{ .CommonLabels.Names }} {{ len .Alerts.Resolved }}"#,
        #"{{ (index .Alerts 0).StartsAt.Format "Mon Jan _2 15:04:05.000 2006 -07:00 MST" }} {{ (index .Alerts 1).EndsAt.Unix }}"#,
        #"{{ define "x" }}<{{ .Receiver }}>{{ end }}{{ template "x" . }}{{ block "y" .ExternalURL }}[{{ . }}]{{ end }}"#,
        #"{{ range .Alerts }}{{ if eq .Status "resolved" }}{{ continue }}{{ end }}{{ .Labels.service }}{{ break }}{{ end }}"#,
        #"{{ with .CommonAnnotations.summary }}has{{ else }}none{{ end }} {{ range .CommonAnnotations }}{{ . }}{{ else }}empty{{ end }}"#,
        #"{{ $x := "a" }}{{ range .Alerts }}{{ $x = .Labels.service }}{{ end }}{{ $x }} {{ stringSlice "b" "a" | join "+" }}"#,
        #"{{ match "^Hu" .CommonLabels.province }} {{ reReplaceAll "(d)v(c)" "$2$1" "dvc" }} {{ title "ha noi" }} {{ toLower "ABC" }}"#,
        #"{{ printf "%s=%d %.2f %q" "n" 3 2.5 "x" }} {{ (index .Alerts 0).Labels.zz }} {{ (index .Alerts 0).Labels.missing }}!"#,
        #"{{ .Alerts.Firing }}"#,
        // Go's %q: `\a \b \f \v` by their letters, other controls and DEL as `\x01`.
        "{{ printf \"%q\" `a\u{7}\u{8}\u{B}\u{C}\u{1}\u{7F}\"` }}",
    ]

    func render(_ template: String, html: Bool = false) throws -> String {
        let templates = NotificationTemplates.shipped(language: .en, timeZone: "UTC")
        let node = try ConfigNode.parse(yaml: "x: 1", file: "t.yaml")
        let text = try templates.text(template, at: node)
        let htmlEscape: @Sendable (String) -> String = { HTMLText.escaped($0) }
        let escape = html ? htmlEscape : nil
        return try text.expand(
            NotificationData(Self.notification, externalURL: "http://ioc.example:9090"), escape: escape)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/amtool")))
    func amtoolRendersTheSameText() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("empty.tmpl", "{{ define \"unused\" }}{{ end }}")
        let data = NotificationPayload.webhook(Self.notification, externalURL: "http://ioc.example:9090")
        try directory.write("data.json", String(decoding: data, as: UTF8.self))
        for template in Self.cases {
            let reference = try await TestProcess.run(
                "/usr/bin/amtool",
                [
                    "template", "render", "--template.glob=\(directory.file("empty.tmpl"))",
                    "--template.data=\(directory.file("data.json"))", "--template.text=\(template)",
                ])
            #expect(reference.status == 0, "\(reference.stderr)")
            let ours = try render(template)
            #expect(ours == reference.stdout, "\(template)")
        }
        // HTML templates escape what they print, not their own markup nor `safeHtml`.
        let markup = #"<p>{{ (index .Alerts 0).Labels.zz }}</p>{{ "<i>" | safeHtml }}"#
        let reference = try await TestProcess.run(
            "/usr/bin/amtool",
            [
                "template", "render", "--template.glob=\(directory.file("empty.tmpl"))",
                "--template.data=\(directory.file("data.json"))", "--template.type=html", "--template.text=\(markup)",
            ])
        #expect(try render(markup, html: true) == reference.stdout.replacingOccurrences(of: "&#34;", with: "&quot;"))
    }

    @Test func mistakesAreFoundAtLoadWithFileAndLine() throws {
        let templates = NotificationTemplates.shipped(language: .vi, timeZone: "Asia/Ho_Chi_Minh")
        let node = try ConfigNode.parse(yaml: "\n\nmessage: x", file: "/etc/iocd/iocd.yaml")
        for (text, message) in [
            ("{{ template \"nosuch\" . }}", "no template \"nosuch\""), ("{{ range .Alerts }}", "without {{end}}"),
            ("{{ break }}", "outside {{range}}"), ("{{ if 1 }}{{ define \"a\" }}{{ end }}{{ end }}", "inside"),
            ("{{ nosuch }}", "not defined"),
        ] {
            #expect {
                _ = try templates.text(text, at: node)
            } throws: { error in
                "\(error)".contains(message) && "\(error)".contains("/etc/iocd/iocd.yaml")
            }
        }
    }

    /// A template that calls itself, or prints without end, stops at a bound with an error.
    @Test func runawayTemplatesStop() throws {
        #expect(throws: TemplateError.self) {
            try render(#"{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}"#)
        }
        #expect(throws: TemplateError.self) {
            try render(
                #"{{ define "d" }}{{ . }}{{ . }}{{ . }}{{ . }}{{ end }}{{ range 1000000 }}{{ template "d" "xxxxxxxxxxxxxxxx" }}{{ end }}"#
            )
        }
    }

    /// The shipped texts say which alert, where, since when (in the centre's zone), and what to do,
    /// in Vietnamese or English; in an HTML body, what alerts hold is text, never markup.
    @Test func shippedTextsSayWhereSinceWhenAndWhatToDo() throws {
        let data = NotificationData(Self.notification, externalURL: "http://ioc.example:9090")
        let vi = NotificationTemplates.shipped(language: .vi, timeZone: "Asia/Ho_Chi_Minh")
        #expect(
            try vi.shippedText("email.default.subject").expand(data) == "[CẢNH BÁO: 1 · đã khắc phục: 1] ServiceDown")
        let text = try vi.shippedText("email.default.text").expand(data)
        #expect(
            text.contains("• Cổng dịch vụ công ngừng\n  Nơi: Huế · dvc · critical\n  Từ: 12:20 04/12/2026"), "\(text)")
        #expect(text.contains("Việc cần làm: Gọi kỹ thuật") && text.contains("✓ VNeID chậm"), "\(text)")
        let html = try vi.shippedText("email.default.html").expand(data, escape: { HTMLText.escaped($0) })
        #expect(html.contains("<td>Cổng dịch vụ công ngừng</td><td>Huế · dvc · critical</td><td>12:20 04/12/2026</td>"))
        let en = NotificationTemplates.shipped(language: .en, timeZone: "UTC")
        let english = try en.shippedText("telegram.default.plain").expand(data)
        #expect(english.hasPrefix("🔥 FIRING: 1 · resolved: 1 · ServiceDown"), "\(english)")
        #expect(english.contains("Huế · dvc · critical · since 2026-12-04 05:20 UTC"), "\(english)")
        for language in Language.allCases {
            let set = NotificationTemplates.shipped(language: language, timeZone: "Asia/Ho_Chi_Minh")
            for name in [
                "email.default.subject", "email.default.text", "email.default.html", "telegram.default.message",
                "telegram.default.plain",
            ] {
                #expect(set.definitions[name] != nil, "\(language) \(name)")
                #expect(!(try set.shippedText(name).expand(data)).isEmpty)
            }
        }
    }

    @Test func goTimeFormatsAsGoDoes() throws {
        let time = TemplateTime(milliseconds: 1_796_361_600_123, offsetSeconds: 25_200, zoneName: "+07")
        #expect(GoTime.format(time, layout: "2006-01-02T15:04:05.000Z07:00") == "2026-12-04T12:20:00.123+07:00")
        #expect(
            GoTime.format(time, layout: "Monday, 2 January 06 3:4:5 PM .999 MST")
                == "Friday, 4 December 26 12:20:0 PM .123 +07")
        #expect(GoTime.format(time, layout: "002 _2 __2 Janx") == "338  4 338 Janx")
        #expect(TemplateTime.zero.goString == "0001-01-01 00:00:00 +0000 UTC")
        #expect(GoTime.format(.utc(-1), layout: "2006-01-02 15:04:05.000") == "1969-12-31 23:59:59.999")
        // Any instant formats without trapping, and Unix rounds down as Go's does.
        for extreme in [Int64.min, Int64.max] {
            #expect(
                !GoTime.format(
                    TemplateTime(milliseconds: extreme, offsetSeconds: 25_200, zoneName: "+07"), layout: "2006"
                ).isEmpty)
        }
        #expect(try TemplateContext.select(["Unix"], in: .time(.utc(-1))) == .integer(-1))
        #expect(try TemplateContext.select(["Unix"], in: .time(.utc(Int64.min))) == .integer(Int64.min / 1000 - 1))
    }
}

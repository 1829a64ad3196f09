import Foundation
import IOCCore

/// IOC's default notification texts, written in the template language itself so that an operator
/// can read them, copy one into a `templates:` file and change it: which alerts, which province and
/// service, since when (in the centre's zone), and what to do (the rule's `description`).
enum ShippedTemplates {
    static func text(language: Language, timeZone: String) -> String {
        let zone = GoFormat.quoted(timeZone)
        let words = language == .vi ? vietnamese : english
        return (common + words).replacingOccurrences(of: "ZONE", with: zone)
    }

    /// Templates whose text does not depend on the language.
    private static let common = #"""
        {{ define "__ioc_place" }}{{ with .Labels.province }}{{ . }}{{ else }}{{ with .Labels.platform }}{{ . }}{{ end }}{{ end }}
        {{- with .Labels.service }} · {{ . }}{{ else }}{{ with .Labels.peer }} · {{ . }}{{ end }}{{ end }}
        {{- with .Labels.severity }} · {{ . }}{{ end }}{{ end }}
        {{ define "__ioc_group" }}{{ with .GroupLabels.SortedPairs.Values }}{{ join " · " . }}{{ else }}{{ .CommonLabels.alertname }}{{ end }}{{ end }}
        """#

    private static let vietnamese = #"""
        {{ define "__ioc_time" }}{{ (tz ZONE .).Format "15:04 02/01/2006" }}{{ end }}
        {{ define "__ioc_summary" }}{{ or .Annotations.summary .Annotations.summary_en .Labels.alertname }}{{ end }}
        {{ define "__ioc_action" }}{{ or .Annotations.description .Annotations.description_en }}{{ end }}
        {{ define "__ioc_heading" }}{{ if eq .Status "firing" }}CẢNH BÁO: {{ len .Alerts.Firing }}{{ else }}ĐÃ KHẮC PHỤC{{ end }}
        {{- if and (eq .Status "firing") (gt (len .Alerts.Resolved) 0) }} · đã khắc phục: {{ len .Alerts.Resolved }}{{ end }}{{ end }}
        {{ define "email.default.subject" }}[{{ template "__ioc_heading" . }}] {{ template "__ioc_group" . }}{{ end }}
        {{ define "email.default.text" }}{{ template "__ioc_heading" . }} · {{ template "__ioc_group" . }}
        {{ range .Alerts.Firing }}
        • {{ template "__ioc_summary" . }}
          Nơi: {{ template "__ioc_place" . }}
          Từ: {{ template "__ioc_time" .StartsAt }}
        {{- with .Annotations.description }}
          Việc cần làm: {{ . }}{{ end }}
          Nhãn: {{ .Labels }}
        {{ end }}{{ range .Alerts.Resolved }}
        ✓ {{ template "__ioc_summary" . }}
          Nơi: {{ template "__ioc_place" . }}
          Từ {{ template "__ioc_time" .StartsAt }} đến {{ template "__ioc_time" .EndsAt }}
        {{ end }}{{ with .ExternalURL }}
        Trung tâm điều hành: {{ . }}{{ end }}
        {{ end }}
        {{ define "email.default.html" }}<!DOCTYPE html>
        <html lang="vi"><head><meta charset="utf-8"><title>{{ template "email.default.subject" . }}</title></head>
        <body style="font-family: sans-serif">
        <h2 style="color: {{ if eq .Status "firing" }}#b00020{{ else }}#1b5e20{{ end }}">{{ template "__ioc_heading" . }}</h2>
        <table cellpadding="6" style="border-collapse: collapse" border="1">
        <tr><th>Cảnh báo</th><th>Nơi</th><th>Từ</th><th>Việc cần làm</th></tr>
        {{ range .Alerts.Firing }}<tr><td>{{ template "__ioc_summary" . }}</td><td>{{ template "__ioc_place" . }}</td><td>{{ template "__ioc_time" .StartsAt }}</td><td>{{ template "__ioc_action" . }}</td></tr>
        {{ end }}{{ range .Alerts.Resolved }}<tr><td>✓ {{ template "__ioc_summary" . }}</td><td>{{ template "__ioc_place" . }}</td><td>{{ template "__ioc_time" .StartsAt }} – {{ template "__ioc_time" .EndsAt }}</td><td>Đã khắc phục</td></tr>
        {{ end }}</table>
        {{ with .ExternalURL }}<p>Trung tâm điều hành: <a href="{{ . }}">{{ . }}</a></p>{{ end }}
        </body></html>
        {{ end }}
        {{ define "telegram.default.message" }}{{ if eq .Status "firing" }}🔥{{ else }}✅{{ end }} <b>{{ template "__ioc_heading" . }} · {{ template "__ioc_group" . }}</b>
        {{- range .Alerts.Firing }}
        • {{ template "__ioc_summary" . }}
          {{ template "__ioc_place" . }} · từ {{ template "__ioc_time" .StartsAt }}
        {{- with .Annotations.description }}
          <i>{{ . }}</i>{{ end }}{{ end }}
        {{- range .Alerts.Resolved }}
        ✓ {{ template "__ioc_summary" . }}
          {{ template "__ioc_place" . }} · đến {{ template "__ioc_time" .EndsAt }}{{ end }}{{ end }}
        {{ define "telegram.default.plain" }}{{ if eq .Status "firing" }}🔥{{ else }}✅{{ end }} {{ template "__ioc_heading" . }} · {{ template "__ioc_group" . }}
        {{- range .Alerts.Firing }}
        • {{ template "__ioc_summary" . }}
          {{ template "__ioc_place" . }} · từ {{ template "__ioc_time" .StartsAt }}
        {{- with .Annotations.description }}
          {{ . }}{{ end }}{{ end }}
        {{- range .Alerts.Resolved }}
        ✓ {{ template "__ioc_summary" . }}
          {{ template "__ioc_place" . }} · đến {{ template "__ioc_time" .EndsAt }}{{ end }}{{ end }}
        """#

    private static let english = #"""
        {{ define "__ioc_time" }}{{ (tz ZONE .).Format "2006-01-02 15:04 MST" }}{{ end }}
        {{ define "__ioc_summary" }}{{ or .Annotations.summary_en .Annotations.summary .Labels.alertname }}{{ end }}
        {{ define "__ioc_action" }}{{ or .Annotations.description_en .Annotations.description }}{{ end }}
        {{ define "__ioc_heading" }}{{ if eq .Status "firing" }}FIRING: {{ len .Alerts.Firing }}{{ else }}RESOLVED{{ end }}
        {{- if and (eq .Status "firing") (gt (len .Alerts.Resolved) 0) }} · resolved: {{ len .Alerts.Resolved }}{{ end }}{{ end }}
        {{ define "email.default.subject" }}[{{ template "__ioc_heading" . }}] {{ template "__ioc_group" . }}{{ end }}
        {{ define "email.default.text" }}{{ template "__ioc_heading" . }} · {{ template "__ioc_group" . }}
        {{ range .Alerts.Firing }}
        • {{ template "__ioc_summary" . }}
          Where: {{ template "__ioc_place" . }}
          Since: {{ template "__ioc_time" .StartsAt }}
        {{- with .Annotations.description_en }}
          What to do: {{ . }}{{ end }}
          Labels: {{ .Labels }}
        {{ end }}{{ range .Alerts.Resolved }}
        ✓ {{ template "__ioc_summary" . }}
          Where: {{ template "__ioc_place" . }}
          From {{ template "__ioc_time" .StartsAt }} to {{ template "__ioc_time" .EndsAt }}
        {{ end }}{{ with .ExternalURL }}
        Operations centre: {{ . }}{{ end }}
        {{ end }}
        {{ define "email.default.html" }}<!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{{ template "email.default.subject" . }}</title></head>
        <body style="font-family: sans-serif">
        <h2 style="color: {{ if eq .Status "firing" }}#b00020{{ else }}#1b5e20{{ end }}">{{ template "__ioc_heading" . }}</h2>
        <table cellpadding="6" style="border-collapse: collapse" border="1">
        <tr><th>Alert</th><th>Where</th><th>Since</th><th>What to do</th></tr>
        {{ range .Alerts.Firing }}<tr><td>{{ template "__ioc_summary" . }}</td><td>{{ template "__ioc_place" . }}</td><td>{{ template "__ioc_time" .StartsAt }}</td><td>{{ template "__ioc_action" . }}</td></tr>
        {{ end }}{{ range .Alerts.Resolved }}<tr><td>✓ {{ template "__ioc_summary" . }}</td><td>{{ template "__ioc_place" . }}</td><td>{{ template "__ioc_time" .StartsAt }} – {{ template "__ioc_time" .EndsAt }}</td><td>Resolved</td></tr>
        {{ end }}</table>
        {{ with .ExternalURL }}<p>Operations centre: <a href="{{ . }}">{{ . }}</a></p>{{ end }}
        </body></html>
        {{ end }}
        {{ define "telegram.default.message" }}{{ if eq .Status "firing" }}🔥{{ else }}✅{{ end }} <b>{{ template "__ioc_heading" . }} · {{ template "__ioc_group" . }}</b>
        {{- range .Alerts.Firing }}
        • {{ template "__ioc_summary" . }}
          {{ template "__ioc_place" . }} · since {{ template "__ioc_time" .StartsAt }}
        {{- with .Annotations.description_en }}
          <i>{{ . }}</i>{{ end }}{{ end }}
        {{- range .Alerts.Resolved }}
        ✓ {{ template "__ioc_summary" . }}
          {{ template "__ioc_place" . }} · until {{ template "__ioc_time" .EndsAt }}{{ end }}{{ end }}
        {{ define "telegram.default.plain" }}{{ if eq .Status "firing" }}🔥{{ else }}✅{{ end }} {{ template "__ioc_heading" . }} · {{ template "__ioc_group" . }}
        {{- range .Alerts.Firing }}
        • {{ template "__ioc_summary" . }}
          {{ template "__ioc_place" . }} · since {{ template "__ioc_time" .StartsAt }}
        {{- with .Annotations.description_en }}
          {{ . }}{{ end }}{{ end }}
        {{- range .Alerts.Resolved }}
        ✓ {{ template "__ioc_summary" . }}
          {{ template "__ioc_place" . }} · until {{ template "__ioc_time" .EndsAt }}{{ end }}{{ end }}
        """#
}

@testable import IOCAlert
import Testing

@Suite struct AlertTemplateTests {
    let data = TemplateData(
        labels: ["instance": "hn-portal:443", "province": "Hà Nội", "severity": "critical"], value: 0.123456,
        externalLabels: ["centre": "ioc-hn"], externalURL: "http://ioc.example")

    func expand(_ text: String, value: Double? = nil) throws -> String {
        var data = self.data
        if let value { data.value = value }
        return try AlertTemplate(text).expand(data)
    }

    @Test func variablesAndFieldsReadLabelsValueAndExternalLabels() throws {
        #expect(try expand("{{ $labels.province }} at {{ .Labels.instance }}") == "Hà Nội at hn-portal:443")
        #expect(try expand("{{ $value }} / {{ .Value }}") == "0.123456 / 0.123456")
        #expect(try expand("{{ $externalLabels.centre }} {{ $externalURL }}") == "ioc-hn http://ioc.example")
        // A label that is not there is empty, as with Prometheus' missingkey=zero.
        #expect(try expand("[{{ $labels.nothing }}]") == "[]")
    }

    /// Values print as Go's %v does.
    @Test(arguments: [
        (1.0, "1"), (0.5, "0.5"), (123456.0, "123456"), (1234567.0, "1.234567e+06"), (1e6, "1e+06"),
        (0.0001, "0.0001"), (0.00001, "1e-05"), (-2.5, "-2.5"), (Double.infinity, "+Inf"), (Double.nan, "NaN"),
    ])
    func valuesPrintAsGoPrintsThem(value: Double, text: String) throws {
        #expect(try expand("{{ $value }}", value: value) == text)
    }

    @Test(arguments: [
        ("{{ humanize 1234567 }}", "1.235M"), ("{{ humanize 0.0012 }}", "1.2m"), ("{{ humanize 0 }}", "0"),
        ("{{ humanize 999 }}", "999"), ("{{ humanize1024 2048 }}", "2ki"),
        ("{{ humanizePercentage 0.1234 }}", "12.34%"),
        ("{{ humanizeDuration 93784 }}", "1d 2h 3m 4s"), ("{{ humanizeDuration 200 }}", "3m 20s"),
        ("{{ humanizeDuration 12.5 }}", "12.5s"), ("{{ humanizeDuration 0.25 }}", "250ms"),
        ("{{ humanizeDuration 0 }}", "0s"), ("{{ humanizeTimestamp 1795911000 }}", "2026-11-29 00:10:00 +0000 UTC"),
        ("{{ printf \"%.2f\" 3.14159 }}", "3.14"), ("{{ printf \"%s is %d\" \"x\" 3 }}", "x is 3"),
        ("{{ printf \"%5.1f|%-4s|\" 2.25 \"ab\" }}", "  2.2|ab  |"), ("{{ \"abc\" | toUpper }}", "ABC"),
        ("{{ reReplaceAll \"(.*):443\" \"$1\" \"portal:443\" }}", "portal"), ("{{ stripPort \"host:9100\" }}", "host"),
        ("{{ if gt 5.0 3.0 }}yes{{ else }}no{{ end }}", "yes"), ("{{ if eq \"a\" \"b\" \"a\" }}in{{ end }}", "in"),
        ("{{ if not true }}x{{ else if and 1 0 }}y{{ else }}z{{ end }}", "z"),
        ("{{/* a comment */}}a  {{- \" b \" -}}  c", "a b c"),
    ])
    func prometheusFunctionsGiveTheSameText(template: String, text: String) throws {
        #expect(try expand(template) == text)
    }

    @Test func pipelinesAndVariablesCompose() throws {
        #expect(try expand("{{ $value | humanizePercentage }}") == "12.35%")
        #expect(try expand("{{ $v := $value | humanize }}v={{ $v }}") == "v=123.5m")
        #expect(try expand("{{ if lt $value 1.0 }}{{ $labels.severity | toUpper }}{{ end }}") == "CRITICAL")
        #expect(try expand("{{ printf \"%.1f%%\" (humanize 12) }}") == "%!f(string=1)%")
    }

    /// Mistakes are found when the rule file loads, never when the alert fires.
    @Test(arguments: [
        ("{{ $labels.x ", "unclosed action"), ("{{ nosuch $value }}", "function \"nosuch\" not defined"),
        ("{{ query \"up\" }}", "not supported"), ("{{ if $value }}open", "without {{end}}"),
        ("{{ end }}", "unexpected {{end}}"), ("{{ template \"nosuch\" . }}", "no template \"nosuch\""),
        ("{{ \"abc }}", "unterminated quoted string"),
    ])
    func syntaxErrorsAreFoundAtLoad(template: String, message: String) {
        #expect {
            _ = try AlertTemplate(template)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func anUndefinedVariableIsAnErrorAtExpansion() throws {
        let template = try AlertTemplate("{{ $nope }}")
        #expect(throws: TemplateError.self) { try template.expand(data) }
    }
}

/// Label values are hostile: the escapers of Go's text/template escape, and the humanize functions
/// take any number a feed sends.
@Suite struct TemplateHardeningTests {
    let data = TemplateData(
        labels: ["v": #"<a href="x">&'=</a> é"#, "n": "\u{1}"], value: -1e19, externalLabels: [:], externalURL: "")

    @Test func htmlJsAndUrlqueryEscapeAsGoDoes() throws {
        #expect(
            try AlertTemplate("{{ html .Labels.v }}").expand(data)
                == "&lt;a href=&#34;x&#34;&gt;&amp;&#39;=&lt;/a&gt; é")
        #expect(
            try AlertTemplate("{{ js .Labels.v }}").expand(data)
                == #"\u003Ca href\u003D\"x\"\u003E\u0026\'\u003D\u003C/a\u003E é"#)
        #expect(try AlertTemplate("{{ js .Labels.n }}").expand(data) == #"\u0001"#)
        #expect(
            try AlertTemplate("{{ urlquery .Labels.v }}").expand(data)
                == "%3Ca+href%3D%22x%22%3E%26%27%3D%3C%2Fa%3E+%C3%A9")
    }

    @Test(arguments: ["humanizeDuration", "humanizeTimestamp", "humanize", "humanize1024", "humanizePercentage"])
    func humanizeTakesAnyNumber(_ function: String) throws {
        for value in [-1e19, 1e19, 1e300, -1e300, Double.nan, .infinity] {
            var data = self.data
            data.value = value
            #expect(!(try AlertTemplate("{{ $value | \(function) }}").expand(data)).isEmpty)
        }
    }
}

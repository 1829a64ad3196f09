import Foundation
import IOCProbe
import Testing

@Suite struct JSONConditionTests {
    let document: Any

    init() throws {
        document = try JSONSerialization.jsonObject(
            with: Data(
                #"{"status":"UP","queue":42,"ok":true,"none":null,"items":[{"name":"Huế"},{"name":"Hà Nội"}],"a b":1}"#
                    .utf8))
    }

    @Test(arguments: [
        (#"$.status == "UP""#, true), (#"$.status != "UP""#, false), ("$.queue < 100", true), ("$.queue >= 42", true),
        ("$.queue > 42", false), ("$.ok == true", true), ("$.ok == 1", false), ("$.none == null", true),
        (#"$.items[1].name == "Hà Nội""#, true), (#"$['a b'] == 1"#, true), (#"$.items[5].name == "x""#, false),
        (#"$.missing == "x""#, false), ("$.queue == 42", true), ("$.status < 3", false), (#"$.status == 'UP'"#, true),
    ])
    func evaluatesConditions(text: String, holds: Bool) throws {
        #expect(try JSONCondition(parsing: text).evaluate(document).holds == holds)
    }

    @Test(arguments: [
        ("status == 1", "starts with '$'"), ("$.status", "expected an operator"), ("$.status == UP", "is not a value"),
        (#"$.status < "UP""#, "compares numbers"), ("$.items[x] == 1", "expected [index]"), ("$..a == 1", "empty name"),
    ])
    func rejectsMalformedConditions(text: String, message: String) {
        let error = #expect(throws: JSONConditionError.self) { try JSONCondition(parsing: text) }
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
    }

    @Test func saysWhatWasFound() throws {
        #expect(try JSONCondition(parsing: "$.queue < 10").evaluate(document).found == "42")
        #expect(
            try JSONCondition(parsing: "$.items == 1").evaluate(document).found == "an object or array, not a value")
    }
}

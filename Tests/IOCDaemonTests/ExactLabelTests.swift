import IOCCore
import IOCQuery
import IOCStore
import TestSupport
import Testing

/// Label values are their bytes, as in Prometheus: "Huế" typed as one precomposed letter (NFC) and
/// as "e" with two combining marks (NFD, as macOS writes it) are two values and two series, though
/// Swift's `String` calls them equal.
@Suite struct ExactLabelTests {
    static let composed = "Hu\u{1EBF}"
    static let decomposed = "Hue\u{0302}\u{0301}"

    @Test func theTwoSpellingsAreOneStringToSwiftAndTwoValuesHere() throws {
        #expect(Self.composed == Self.decomposed)
        #expect(!ExactText.equal(Self.composed, Self.decomposed))
        #expect(ExactText.order(Self.decomposed, Self.composed) == -1)  // "e" (0x65) before 0xE1
        #expect(Labels(["p": Self.composed]) != Labels(["p": Self.decomposed]))
        #expect(Set([Labels(["p": Self.composed]), Labels(["p": Self.decomposed])]).count == 2)
        #expect(Labels(["p": Self.decomposed]) < Labels(["p": Self.composed]))
        #expect(Labels.order(Labels(["p": Self.composed]), Labels(["p": Self.decomposed])) == 1)
        #expect(try LabelMatcher("p", .equal, Self.composed).matches(Self.decomposed) == false)
        #expect(try LabelMatcher("p", .notEqual, Self.composed).matches(Self.decomposed))
        // The Kelvin sign is canonically "K" to Swift: a value of its own to Prometheus.
        #expect("K" == "\u{212A}")
        #expect(try LabelMatcher("unit", .equal, "K").matches("\u{212A}") == false)
        #expect(Labels(["unit": "K"]) != Labels(["unit": "\u{212A}"]))
        // Short strings are stored inline, long ones on the heap: both compare by their bytes.
        #expect(ExactText.order("a", "b") == -1 && ExactText.order("ab", "a") == 1 && ExactText.equal("", ""))
        let long = String(repeating: "Thành phố ", count: 4)
        #expect(ExactText.equal(long + Self.composed, long + Self.composed))
        #expect(!ExactText.equal(long + Self.composed, long + Self.decomposed))
    }

    /// Through a real store and the engine, and through the rules' memory: each spelling is a
    /// series of its own, selected by its own bytes only.
    @Test func twoSpellingsAreTwoSeriesInTheStoreAndTheEngine() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ioc.db")
        let writer = try SampleWriter(path: path)
        let memory = MemorySeriesSource()
        for (index, value) in [Self.composed, Self.decomposed].enumerated() {
            let labels = Labels(["__name__": "x", "p": value])
            let samples = [Sample(timestamp: 60_000, value: Double(index + 1))]
            writer.append(samples.map { LabeledSample(labels: labels, sample: $0) })
            memory.add(labels, samples)
        }
        writer.close()
        #expect(writer.statistics.series == 2)
        let reader = try StoreReader(path: path)
        #expect(try reader.labelValues("p").count == 2)
        for source in [reader, memory] as [any SeriesSource] {
            func value(_ text: String) throws -> [Double] {
                guard
                    case .vector(let elements) = try Engine().instant(Query(parsing: text), at: 90_000, source: source)
                else { return [] }
                return elements.map(\.value)
            }
            #expect(try value("x").count == 2)
            #expect(try value("count(x)") == [2])
            #expect(try value("count(count by (p) (x))") == [2])
            #expect(try value(#"x{p="\#(Self.composed)"}"#) == [1])
            #expect(try value(#"x{p="\#(Self.decomposed)"}"#) == [2], "\(type(of: source))")
            #expect(try value(#"x{p!="\#(Self.composed)"}"#) == [2])
            #expect(try value("x - x").count == 2)
        }
    }
}

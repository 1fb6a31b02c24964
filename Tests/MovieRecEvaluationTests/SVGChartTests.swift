import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import MovieRecEvaluation

/// Collects element names, `path` counts and text content while parsing an SVG document.
private final class SVGInspector: NSObject, XMLParserDelegate {
    var elementCounts: [String: Int] = [:]
    var texts: [String] = []
    private var currentText: String?

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) {
        elementCounts[elementName, default: 0] += 1
        if elementName == "text" { currentText = "" }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        currentText? += string
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        if elementName == "text", let text = currentText {
            texts.append(text)
            currentText = nil
        }
    }

    /// Parses `svg`; returns whether it is well-formed XML.
    func parse(_ svg: String) -> Bool {
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = self
        return parser.parse()
    }
}

@Suite("SVG chart")
struct SVGChartTests {
    private static let sweep = SVGChart(
        title: #"Ranks & errors <k> "sweep" 'A'"#,
        xLabel: "rank k",
        yLabel: "RMSE",
        series: [
            .init(name: "SVD", points: [2, 5, 10, 20, 50, 100, 200].map { .init(x: $0, y: 0.95 - 0.02 * log10($0)) }),
            .init(name: "attention & SVD", points: [2, 5, 10, 20, 50, 100, 200].map { .init(x: $0, y: 0.93 - 0.03 * log10($0)) }),
            .init(name: "baseline", points: [.init(x: 2, y: 0.97), .init(x: 200, y: 0.97)]),
        ],
        xScale: .logarithmic
    )

    @Test("A line chart is well-formed XML with one path per series and the escaped title")
    func lineChartStructure() throws {
        let svg = try Self.sweep.render()
        let inspector = SVGInspector()
        #expect(inspector.parse(svg))
        #expect(inspector.elementCounts["svg"] == 1)
        #expect(inspector.elementCounts["path"] == 3)
        #expect(inspector.elementCounts["circle"] == 7 + 7 + 2)
        #expect(svg.contains("Ranks &amp; errors &lt;k&gt; &quot;sweep&quot; &apos;A&apos;"))
        #expect(inspector.texts.contains(#"Ranks & errors <k> "sweep" 'A'"#))
        #expect(inspector.texts.contains("attention & SVD"))
        #expect(inspector.texts.contains("rank k"))
        // Log axis from 2 to 200: ticks at 1, 2, 5 × 10ⁿ inside the range.
        for label in ["2", "5", "10", "20", "50", "100", "200"] {
            #expect(inspector.texts.contains(label))
        }
    }

    @Test("A bar chart draws one path per series, with the y axis from 0")
    func barChartStructure() throws {
        let spectrum = SVGChart(
            title: "Singular values", xLabel: "index", yLabel: "σ",
            series: [.init(name: "σᵢ", points: [12.481, 9.5086, 1.3456, 0, 0].enumerated().map { .init(x: Double($0.offset + 1), y: $0.element) })],
            style: .bar
        )
        let svg = try spectrum.render()
        let inspector = SVGInspector()
        #expect(inspector.parse(svg))
        #expect(inspector.elementCounts["path"] == 1)
        #expect(inspector.elementCounts["circle"] == nil)
        // y: 0…12.481 over ~5 ticks → rough step 2.5 → nice step 5: 0, 5, 10, 15. x: ticks 1…5 on the bars.
        for label in ["0", "5", "10", "15", "1", "2", "3", "4"] {
            #expect(inspector.texts.contains(label))
        }
        #expect(!inspector.texts.contains("1.5"))
    }

    @Test("Nice ticks use 1, 2 or 5 × 10ⁿ steps and enclose the range")
    func niceTicks() {
        let unit = ChartAxis.niceTicks(lower: 0, upper: 0.93)
        #expect(unit.count == 6)
        for (tick, expected) in zip(unit, [0, 0.2, 0.4, 0.6, 0.8, 1.0]) {
            #expect(abs(tick - expected) < 1e-12)
        }
        // 0.13 / 5 = 0.026 → 2.6 × 10⁻² → step 5 × 10⁻².
        #expect(ChartAxis.niceTicks(lower: 0.84, upper: 0.97) == [0.8, 0.85, 0.9, 0.95, 1.0])
        #expect(ChartAxis.linear(lower: 0.84, upper: 0.97).label(0.85) == "0.85")
        #expect(ChartAxis.linear(lower: 0, upper: 40).label(10) == "10")
        #expect(ChartAxis.niceTicks(lower: 3, upper: 3) == [2.6, 2.8, 3.0, 3.2, 3.4])
        #expect(ChartAxis.linear(lower: 0, upper: 0.93).label(0.6) == "0.6")
        #expect(ChartAxis.logarithmic(lower: 1, upper: 100_000).ticks == [1, 10, 100, 1000, 10000, 100_000])
    }

    @Test("Invalid charts are rejected with an evaluation error")
    func invalidCharts() {
        let empty = SVGChart(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "a", points: [])])
        #expect(throws: EvaluationError.self) { try empty.render() }
        let negativeLog = SVGChart(title: "t", xLabel: "x", yLabel: "y",
                                   series: [.init(name: "a", points: [.init(x: 0, y: 1)])], xScale: .logarithmic)
        #expect(throws: EvaluationError.self) { try negativeLog.render() }
        let infinite = SVGChart(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "a", points: [.init(x: 1, y: .infinity)])])
        #expect(throws: EvaluationError.self) { try infinite.render() }
        let longLegend = SVGChart(title: "t", xLabel: "x", yLabel: "y",
                                  series: [.init(name: String(repeating: "n", count: 40), points: [.init(x: 1, y: 1)])], width: 300)
        #expect(throws: EvaluationError.self) { try longLegend.render() }
        let bars = SVGChart(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "a", points: [.init(x: 1, y: 1)])],
                            style: .bar, xScale: .logarithmic)
        #expect(throws: EvaluationError.self) { try bars.render() }
    }
}

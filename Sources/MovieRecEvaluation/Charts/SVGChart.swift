import Foundation

/// A dependency-free SVG chart: several named series of (x, y) points drawn as lines (optionally
/// on a logarithmic x axis, for rank sweeps) or as bars (for a spectrum of singular values), with a
/// title, axis labels, "nice" tick values (1, 2 or 5 × 10ⁿ steps), light grid lines and a legend.
///
/// Each series is drawn as exactly one `<path>` element; all text is XML-escaped.
///
///     let chart = SVGChart(title: "RMSE by rank", xLabel: "rank k", yLabel: "RMSE",
///                          series: [.init(name: "SVD", points: [.init(x: 2, y: 0.91), .init(x: 8, y: 0.88)])],
///                          xScale: .logarithmic)
///     let svg = try chart.render()
public struct SVGChart: Equatable, Sendable {
    /// How the series are drawn.
    public enum Style: Equatable, Sendable {
        /// Each series is a polyline through its points (in x order as given), with point markers
        /// when a series has at most 40 points.
        case line
        /// Each point is a bar from y = 0 (the y axis always includes 0); the bars of several series
        /// at one x stand side by side.
        case bar
    }

    /// How x values are placed on the horizontal axis.
    public enum XScale: Equatable, Sendable {
        /// Position proportional to x.
        case linear
        /// Position proportional to log₁₀ x (every x must be > 0; line style only).
        case logarithmic
    }

    /// One data point.
    public struct Point: Equatable, Sendable {
        /// The horizontal value.
        public var x: Double
        /// The vertical value.
        public var y: Double
        /// Creates a point.
        public init(x: Double, y: Double) {
            self.x = x
            self.y = y
        }
    }

    /// One named series of points, shown in the legend under its name.
    public struct Series: Equatable, Sendable {
        /// The legend name.
        public var name: String
        /// The points, drawn in the order given.
        public var points: [Point]
        /// Creates a series.
        public init(name: String, points: [Point]) {
            self.name = name
            self.points = points
        }
    }

    /// The chart title, drawn above the plot.
    public var title: String
    /// The label under the x axis.
    public var xLabel: String
    /// The label left of the y axis (rotated).
    public var yLabel: String
    /// The series, drawn in order with colours from a fixed palette.
    public var series: [Series]
    /// Lines or bars.
    public var style: Style
    /// Linear or logarithmic x axis.
    public var xScale: XScale
    /// The image width in pixels.
    public var width: Int
    /// The image height in pixels.
    public var height: Int

    /// Creates a chart description; ``render()`` checks it and draws it.
    public init(
        title: String, xLabel: String, yLabel: String, series: [Series],
        style: Style = .line, xScale: XScale = .linear, width: Int = 760, height: Int = 460
    ) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.style = style
        self.xScale = xScale
        self.width = width
        self.height = height
    }

    /// Colours for successive series (the Tableau 10 palette).
    static let palette = [
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
        "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    ]

    /// Draws the chart as a standalone SVG document.
    /// - Throws: ``EvaluationError`` when there is no point, a value is not finite, an x value is
    ///   ≤ 0 on a logarithmic axis, bars are asked for on a logarithmic axis, the image is smaller
    ///   than 240 × 160 pixels, or too narrow for a plot at least 120 pixels wide beside the legend.
    public func render() throws -> String {
        try validate()
        let points = series.flatMap(\.points)
        let legendWidth = 40 + 7 * (series.map(\.name.count).max() ?? 0)
        let plot = PlotArea(left: 76, top: 52, right: Double(width - 24 - legendWidth), bottom: Double(height - 58))
        guard plot.width >= 120 else {
            throw EvaluationError.invalidParameter(
                "chart width", width, expected: "at least \(width + 120 - Int(plot.width)) pixels to fit the plot and the legend")
        }
        let xAxis = makeXAxis(points.map(\.x))
        let yAxis = makeYAxis(points.map(\.y))
        let toX = { (x: Double) in plot.left + xAxis.fraction(x) * plot.width }
        let toY = { (y: Double) in plot.bottom - yAxis.fraction(y) * plot.height }

        var svg = SVGWriter()
        svg.line(##"<?xml version="1.0" encoding="UTF-8"?>"##)
        svg.line(##"<svg xmlns="http://www.w3.org/2000/svg" width="\##(width)" height="\##(height)" viewBox="0 0 \##(width) \##(height)" font-family="Helvetica, Arial, sans-serif" font-size="12" fill="#333333">"##)
        svg.line(##"<rect width="\##(width)" height="\##(height)" fill="#ffffff"/>"##)
        svg.text(title, x: Double(width) / 2, y: 30, attributes: ##"text-anchor="middle" font-size="17" font-weight="bold""##)

        svg.line(##"<g stroke="#e6e6e6" stroke-width="1">"##)
        for tick in yAxis.ticks {
            svg.line(##"<line x1="\##(f(plot.left))" y1="\##(f(toY(tick)))" x2="\##(f(plot.right))" y2="\##(f(toY(tick)))"/>"##)
        }
        for tick in xAxis.ticks {
            svg.line(##"<line x1="\##(f(toX(tick)))" y1="\##(f(plot.top))" x2="\##(f(toX(tick)))" y2="\##(f(plot.bottom))"/>"##)
        }
        svg.line("</g>")

        for (index, item) in series.enumerated() {
            let color = Self.palette[index % Self.palette.count]
            switch style {
            case .line:
                let path = item.points.enumerated().map { offset, point in
                    "\(offset == 0 ? "M" : "L")\(f(toX(point.x))) \(f(toY(point.y)))"
                }.joined(separator: " ")
                svg.line(##"<path d="\##(path)" fill="none" stroke="\##(color)" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>"##)
                if item.points.count <= 40 {
                    svg.line(##"<g fill="\##(color)">"##)
                    for point in item.points {
                        svg.line(##"<circle cx="\##(f(toX(point.x)))" cy="\##(f(toY(point.y)))" r="3"/>"##)
                    }
                    svg.line("</g>")
                }
            case .bar:
                let slot = xAxis.barSpacing * plot.width / (xAxis.upper - xAxis.lower)
                let barWidth = 0.8 * slot / Double(series.count)
                let baseline = toY(0)
                let path = item.points.map { point in
                    let left = toX(point.x) - 0.4 * slot + Double(index) * barWidth
                    let top = toY(point.y)
                    return "M\(f(left)) \(f(baseline)) V\(f(top)) H\(f(left + barWidth)) V\(f(baseline)) Z"
                }.joined(separator: " ")
                svg.line(##"<path d="\##(path)" fill="\##(color)" stroke="none"/>"##)
            }
        }

        svg.line(##"<g stroke="#333333" stroke-width="1">"##)
        svg.line(##"<line x1="\##(f(plot.left))" y1="\##(f(plot.bottom))" x2="\##(f(plot.right))" y2="\##(f(plot.bottom))"/>"##)
        svg.line(##"<line x1="\##(f(plot.left))" y1="\##(f(plot.top))" x2="\##(f(plot.left))" y2="\##(f(plot.bottom))"/>"##)
        for tick in xAxis.ticks {
            svg.line(##"<line x1="\##(f(toX(tick)))" y1="\##(f(plot.bottom))" x2="\##(f(toX(tick)))" y2="\##(f(plot.bottom + 5))"/>"##)
        }
        for tick in yAxis.ticks {
            svg.line(##"<line x1="\##(f(plot.left - 5))" y1="\##(f(toY(tick)))" x2="\##(f(plot.left))" y2="\##(f(toY(tick)))"/>"##)
        }
        svg.line("</g>")
        for tick in xAxis.ticks {
            svg.text(xAxis.label(tick), x: toX(tick), y: plot.bottom + 19, attributes: ##"text-anchor="middle""##)
        }
        for tick in yAxis.ticks {
            svg.text(yAxis.label(tick), x: plot.left - 9, y: toY(tick) + 4, attributes: ##"text-anchor="end""##)
        }
        svg.text(xLabel, x: plot.left + plot.width / 2, y: Double(height) - 16, attributes: ##"text-anchor="middle" font-size="13""##)
        let yLabelX = 20.0
        let yLabelY = plot.top + plot.height / 2
        svg.text(yLabel, x: yLabelX, y: yLabelY, attributes: ##"text-anchor="middle" font-size="13" transform="rotate(-90 \##(f(yLabelX)) \##(f(yLabelY)))""##)

        let legendX = plot.right + 20
        for (index, item) in series.enumerated() {
            let color = Self.palette[index % Self.palette.count]
            let rowY = plot.top + 8 + Double(index) * 20
            svg.line(##"<rect x="\##(f(legendX))" y="\##(f(rowY - 6))" width="14" height="12" rx="2" fill="\##(color)"/>"##)
            svg.text(item.name, x: legendX + 20, y: rowY + 4, attributes: "")
        }
        svg.line("</svg>")
        return svg.document
    }

    private func validate() throws {
        guard width >= 240, height >= 160 else {
            throw EvaluationError.invalidParameter("chart size", "\(width)x\(height)", expected: "at least 240x160 pixels")
        }
        guard series.contains(where: { !$0.points.isEmpty }) else {
            throw EvaluationError.emptyInput("chart points", expected: "at least one series with at least one point")
        }
        for item in series {
            for point in item.points where !point.x.isFinite || !point.y.isFinite {
                throw EvaluationError.invalidValue(
                    "point of series \"\(item.name)\"", "(\(point.x), \(point.y))", expected: "finite x and y")
            }
        }
        if xScale == .logarithmic {
            guard style == .line else {
                throw EvaluationError.invalidParameter("chart style", "bar", expected: "line style on a logarithmic x axis")
            }
            for item in series {
                for point in item.points where point.x <= 0 {
                    throw EvaluationError.invalidValue(
                        "x value of series \"\(item.name)\"", point.x, expected: "x > 0 on a logarithmic axis")
                }
            }
        }
    }

    private func makeXAxis(_ values: [Double]) -> ChartAxis {
        let lower = values.min()!
        let upper = values.max()!
        switch (xScale, style) {
        case (.logarithmic, _):
            return ChartAxis.logarithmic(lower: lower, upper: upper)
        case (.linear, .bar):
            let distinct = Array(Set(values)).sorted()
            let spacing = zip(distinct, distinct.dropFirst()).map { $1 - $0 }.min() ?? 1
            let integral = values.allSatisfy { $0 == $0.rounded() }
            let ticks = ChartAxis.niceTicks(lower: lower, upper: upper, minimumStep: integral ? 1 : 0).filter { $0 >= lower - 1e-9 && $0 <= upper + 1e-9 }
            return ChartAxis(lower: lower - spacing / 2, upper: upper + spacing / 2, ticks: ticks,
                             isLogarithmic: false, barSpacing: spacing)
        case (.linear, .line):
            return ChartAxis.linear(lower: lower, upper: upper)
        }
    }

    private func makeYAxis(_ values: [Double]) -> ChartAxis {
        var lower = values.min()!
        var upper = values.max()!
        if style == .bar {
            lower = min(lower, 0)
            upper = max(upper, 0)
        }
        return ChartAxis.linear(lower: lower, upper: upper)
    }

    /// A coordinate with two decimals.
    private func f(_ value: Double) -> String {
        String(format: "%.2f", value)
    }
}

/// The pixel rectangle of the plot area.
private struct PlotArea {
    let left: Double
    let top: Double
    let right: Double
    let bottom: Double
    var width: Double { right - left }
    var height: Double { bottom - top }
}

/// Accumulates SVG lines and escapes text.
private struct SVGWriter {
    private(set) var document = ""

    mutating func line(_ text: String) {
        document += text
        document += "\n"
    }

    mutating func text(_ content: String, x: Double, y: Double, attributes: String) {
        let position = String(format: ##"x="%.2f" y="%.2f""##, x, y)
        line("<text \(position)\(attributes.isEmpty ? "" : " " + attributes)>\(escapeXML(content))</text>")
    }
}

/// Escapes the five XML special characters (`& < > " '`) for use in text and attribute values.
func escapeXML(_ text: String) -> String {
    var escaped = ""
    escaped.reserveCapacity(text.count)
    for character in text {
        switch character {
        case "&": escaped += "&amp;"
        case "<": escaped += "&lt;"
        case ">": escaped += "&gt;"
        case "\"": escaped += "&quot;"
        case "'": escaped += "&apos;"
        default: escaped.append(character)
        }
    }
    return escaped
}

/// One chart axis: its value range, tick values and tick label format.
struct ChartAxis: Equatable {
    /// The value at the start of the axis.
    let lower: Double
    /// The value at the end of the axis.
    let upper: Double
    /// Tick values, ascending, all within lower…upper.
    let ticks: [Double]
    /// Whether positions are proportional to log₁₀ of the value.
    let isLogarithmic: Bool
    /// The smallest distance between bar centres (bar charts only; 1 otherwise).
    var barSpacing: Double = 1

    /// The position of `value` along the axis, 0 at `lower` and 1 at `upper`.
    func fraction(_ value: Double) -> Double {
        if isLogarithmic {
            return (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
        }
        return (value - lower) / (upper - lower)
    }

    /// A tick label: as many decimals as the tick step needs, no more.
    func label(_ value: Double) -> String {
        let decimals: Int
        if isLogarithmic {
            decimals = value >= 1 ? 0 : Int((-log10(value)).rounded(.up))
        } else {
            let step = ticks.count > 1 ? ticks[1] - ticks[0] : max(abs(value), 1)
            decimals = max(0, Int((-log10(step) - 1e-9).rounded(.up)))
        }
        let text = String(format: "%.\(decimals)f", value)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }

    /// A linear axis from the first to the last of ``niceTicks(lower:upper:target:)``.
    static func linear(lower: Double, upper: Double) -> ChartAxis {
        let ticks = niceTicks(lower: lower, upper: upper)
        return ChartAxis(lower: ticks.first!, upper: ticks.last!, ticks: ticks, isLogarithmic: false)
    }

    /// A logarithmic axis over exactly lower…upper (widened to one decade around a single value),
    /// ticked at 1, 2 and 5 × 10ⁿ when it spans at most three decades and at 10ⁿ otherwise.
    static func logarithmic(lower: Double, upper: Double) -> ChartAxis {
        var lower = lower
        var upper = upper
        if upper / lower < 1.000001 {
            lower /= 3.16227766
            upper *= 3.16227766
        }
        let firstDecade = Int(log10(lower).rounded(.down))
        let lastDecade = Int(log10(upper).rounded(.up))
        let mantissas: [Double] = lastDecade - firstDecade <= 3 ? [1, 2, 5] : [1]
        let candidates: [Double] = (firstDecade...lastDecade).flatMap { decade -> [Double] in
            let scale = pow(10, Double(decade))
            return mantissas.map { $0 * scale }
        }
        let ticks = candidates.filter { $0 >= lower * (1 - 1e-9) && $0 <= upper * (1 + 1e-9) }
        return ChartAxis(lower: lower, upper: upper, ticks: ticks, isLogarithmic: true)
    }

    /// About `target` evenly spaced "nice" tick values (step 1, 2 or 5 × 10ⁿ) whose first tick is
    /// ≤ `lower` and last tick ≥ `upper`, with a step of at least `minimumStep` (1 keeps integer
    /// positions such as bar indices on integer ticks). A zero-width range is widened first.
    static func niceTicks(lower: Double, upper: Double, target: Int = 5, minimumStep: Double = 0) -> [Double] {
        var lower = lower
        var upper = upper
        if upper - lower < 1e-12 * max(1, abs(lower)) {
            let pad = lower == 0 ? 1 : abs(lower) * 0.1
            lower -= pad
            upper += pad
        }
        let rough = (upper - lower) / Double(target)
        let magnitude = pow(10, log10(rough).rounded(.down))
        let residual = rough / magnitude
        let step = max(minimumStep, magnitude * (residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10))
        let first = (lower / step + 1e-9).rounded(.down)
        let last = (upper / step - 1e-9).rounded(.up)
        return stride(from: first, through: last, by: 1).map { ($0 * step * 1e9).rounded() / 1e9 }
    }
}

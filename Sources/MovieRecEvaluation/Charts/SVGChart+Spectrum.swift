extension SVGChart {
    /// A bar chart of singular values σ₁ ≥ … ≥ σ_k against their index c = 1…k (`movierec train --plot`):
    /// how much of the residual matrix each latent taste explains, and where the spectrum flattens.
    /// - Parameters:
    ///   - singularValues: σ₁ … σ_k.
    ///   - title: the chart title.
    public static func spectrum(singularValues: [Float], title: String) -> SVGChart {
        SVGChart(title: title, xLabel: "component c", yLabel: "singular value σ_c",
                 series: [Series(name: "σ_c", points: singularValues.enumerated().map { index, value in
                     Point(x: Double(index + 1), y: Double(value))
                 })],
                 style: .bar)
    }
}

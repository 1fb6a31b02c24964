// swift-tools-version:6.1
import PackageDescription

// Dependency arrows point one way:
//   MovieRecNumerics  <-  MovieRecModel  <-  MovieRecStore       <-  movierec (CLI)
//                         MovieRecModel  <-  MovieRecEvaluation  <-  movierec
//   MovieRecNumerics  <-  MovieRecSynthetic (data generator)  <-  movierec
let package = Package(
    name: "movierec",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "movierec", targets: ["movierec"]),
        .library(name: "MovieRecNumerics", targets: ["MovieRecNumerics"]),
        .library(name: "MovieRecModel", targets: ["MovieRecModel"]),
        .library(name: "MovieRecStore", targets: ["MovieRecStore"]),
        .library(name: "MovieRecSynthetic", targets: ["MovieRecSynthetic"]),
        .library(name: "MovieRecEvaluation", targets: ["MovieRecEvaluation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // Sparse/dense matrices, SIMD kernels, QR, Jacobi eigen/SVD, truncated SVD, seeded RNG.
        .target(name: "MovieRecNumerics"),
        // Baselines, latent factors, similarity, attention scoring, fold-in, explanations, metrics.
        .target(name: "MovieRecModel", dependencies: ["MovieRecNumerics"]),
        // SQLite schema (GRDB), rating/movie file import, matrix loading, model persistence.
        .target(
            name: "MovieRecStore",
            dependencies: [
                "MovieRecModel",
                "MovieRecNumerics",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // Metrics (RMSE, MAE, P/R/nDCG/MAP@K), splits, evaluation runs, sweeps, SVG charts.
        .target(name: "MovieRecEvaluation", dependencies: ["MovieRecModel", "MovieRecNumerics"]),
        // Deterministic MovieLens-shaped synthetic data sets (demo data, benchmarks).
        .target(name: "MovieRecSynthetic", dependencies: ["MovieRecNumerics"]),
        // The thin command-line front end.
        .executableTarget(
            name: "movierec",
            dependencies: [
                "MovieRecStore",
                "MovieRecModel",
                "MovieRecNumerics",
                "MovieRecSynthetic",
                "MovieRecEvaluation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "MovieRecNumericsTests", dependencies: ["MovieRecNumerics"]),
        .testTarget(name: "MovieRecModelTests", dependencies: ["MovieRecModel", "MovieRecNumerics"]),
        .testTarget(
            name: "MovieRecStoreTests",
            dependencies: ["MovieRecStore", "MovieRecModel", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "MovieRecEvaluationTests", dependencies: ["MovieRecEvaluation", "MovieRecModel"]),
        .testTarget(name: "MovieRecSyntheticTests", dependencies: ["MovieRecSynthetic", "MovieRecNumerics"]),
        .testTarget(name: "MovieRecCLITests", dependencies: ["movierec", .product(name: "GRDB", package: "GRDB.swift")]),
    ],
    swiftLanguageModes: [.v5]
)

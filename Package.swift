// swift-tools-version:6.1
import PackageDescription

// Dependency arrows point one way:
//   CMovieRecKernels  <-  MovieRecNumerics
//   MovieRecNumerics  <-  MovieRecModel  <-  MovieRecStore       <-  movierec (CLI)
//                         MovieRecModel  <-  MovieRecEvaluation  <-  movierec
//   MovieRecStore, MovieRecEvaluation  <-  MovieRecService  <-  MovieRecServer  <-  movierec
//   MovieRecService, MovieRecStore  <-  MovieRecPostgres  <-  movierec
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
        .library(name: "MovieRecService", targets: ["MovieRecService"]),
        .library(name: "MovieRecServer", targets: ["MovieRecServer"]),
        .library(name: "MovieRecPostgres", targets: ["MovieRecPostgres"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // The innermost numeric loops in C: one source compiled for AVX-512, AVX2 and the baseline
        // (NEON on arm64), chosen at run time, bit-identical on every path.
        .target(name: "CMovieRecKernels"),
        // Sparse/dense matrices, SIMD kernels, QR, Jacobi eigen/SVD, truncated SVD, seeded RNG.
        .target(name: "MovieRecNumerics", dependencies: ["CMovieRecKernels"]),
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
        // What a front end asks for: the database, the model's lifecycle, the catalogue, recommendations,
        // similar users and films, comparisons and new users, in external ids, as Codable results.
        .target(
            name: "MovieRecService",
            dependencies: ["MovieRecStore", "MovieRecModel", "MovieRecNumerics", "MovieRecEvaluation"]
        ),
        // The HTTP JSON API and the web page on Hummingbird 2 (`buildApplication`, `buildRouter`).
        .target(
            name: "MovieRecServer",
            dependencies: [
                "MovieRecService",
                "MovieRecModel",
                "MovieRecNumerics",
                "MovieRecStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // PostgreSQL as the shared source of ratings (COPY import, shared writes and fold-in reads,
        // published models); only the CLI depends on it.
        .target(
            name: "MovieRecPostgres",
            dependencies: [
                "MovieRecService",
                "MovieRecStore",
                "MovieRecModel",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The thin command-line front end.
        .executableTarget(
            name: "movierec",
            dependencies: [
                "MovieRecStore",
                "MovieRecModel",
                "MovieRecNumerics",
                "MovieRecSynthetic",
                "MovieRecEvaluation",
                "MovieRecService",
                "MovieRecServer",
                "MovieRecPostgres",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "MovieRecNumericsTests", dependencies: ["MovieRecNumerics", "CMovieRecKernels"]),
        .testTarget(name: "MovieRecModelTests", dependencies: ["MovieRecModel", "MovieRecNumerics"]),
        .testTarget(
            name: "MovieRecStoreTests",
            dependencies: ["MovieRecStore", "MovieRecModel", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "MovieRecEvaluationTests", dependencies: ["MovieRecEvaluation", "MovieRecModel"]),
        .testTarget(name: "MovieRecSyntheticTests", dependencies: ["MovieRecSynthetic", "MovieRecNumerics"]),
        .testTarget(
            name: "MovieRecServiceTests",
            dependencies: ["MovieRecService", "MovieRecStore", "MovieRecModel"]
        ),
        .testTarget(
            name: "MovieRecServerTests",
            dependencies: [
                "MovieRecServer", "MovieRecService", "MovieRecStore", "MovieRecModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(name: "MovieRecPostgresTests", dependencies: [
            "MovieRecPostgres", "MovieRecStore", .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        .testTarget(name: "MovieRecCLITests", dependencies: ["movierec", .product(name: "GRDB", package: "GRDB.swift")]),
    ],
    swiftLanguageModes: [.v5]
)

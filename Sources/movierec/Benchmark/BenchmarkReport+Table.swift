import Foundation

extension BenchmarkReport {
    /// The report as a plain-text table: one row per step with its figure and the load average after it.
    func table(trainOnly: Bool) -> String {
        var rows: [(String, String, String)] = []
        func add(_ step: String, _ figure: String, load key: String?) {
            let load = key.flatMap { loadAverages[$0] }.map { String(format: "%.2f", $0) } ?? ""
            rows.append((step, figure, load))
        }
        add("data", "\(ratings) ratings, \(users) users, \(movies) films", load: nil)
        add("model", "rank \(rank), watch rank \(watchRank), p \(oversampling), q \(powerIterations), \(krylovBlocks) Krylov blocks, \(threads) threads"
            + (parameterSettings.isEmpty ? "" : ", " + parameterSettings.joined(separator: ", ")),
            load: nil)
        if reusedDatabase {
            add("import", "skipped (cached database reused)", load: nil)
        } else {
            add("import", String(format: "%.2f s, %.0f rows/s", importSeconds, importRowsPerSecond), load: "import")
        }
        add("load from SQLite", String(format: "%.2f s", loadSeconds), load: "load")
        let stages = trainStageSeconds.sorted { $0.key < $1.key }
            .map { String(format: "%@ %.2f", $0.key, $0.value) }.joined(separator: ", ")
        add("train", String(format: "%.2f s (%@)%@", trainSeconds, stages,
                            trainCPUSeconds.map { String(format: "; %.2f CPU s", $0) } ?? ""), load: "train")
        add("load + train", String(format: "%.2f s", loadSeconds + trainSeconds), load: nil)
        if let rankingNeighbourRecall {
            add("ranking neighbour index", String(format: "recall %.3f of the exact nearest users (200 users)",
                                                  rankingNeighbourRecall), load: nil)
        }
        if let newUserNeighbourRecall {
            add("new user's neighbours", String(format: "recall %.3f of the exact nearest users (200 users)",
                                                newUserNeighbourRecall), load: nil)
        }
        if !trainOnly {
            add("residual SVD alone", String(format: "%.2f s (%.2f CPU s), relative residual %.4f", svdSeconds, svdCPUSeconds,
                                                   svdRelativeResidual),
                load: "svd")
            add("recommend top 10 + explanations", String(format: "p50 %.3f ms, p99 %.3f ms (%d users)",
                                                          recommendP50Ms, recommendP99Ms, sampledUsers), load: "recommend")
            for group in recommendByActivity ?? [] {
                add("  users with \(group.label)", String(format: "p50 %.3f ms, p99 %.3f ms (%d users)", group.p50Ms,
                                                        group.p99Ms, group.users), load: nil)
            }
            if let slow = recommendSlowest {
                add("  slowest 1 %", String(format: "%d calls from %.3f ms: median %d ratings, %d users with 1,000 or more",
                                           slow.calls, slow.fromMs, slow.medianRatings, slow.usersWithThousandRatings),
                    load: nil)
            }
            add("recommend top 10, no explanations", String(format: "p50 %.3f ms, p99 %.3f ms", recommendPlainP50Ms,
                                                            recommendPlainP99Ms), load: "recommend")
            add("similar users (10)", String(format: "p50 %.3f ms, p99 %.3f ms", similarP50Ms, similarP99Ms), load: "similar")
            if skippedBatch {
                add("top 10 for every user", "skipped (--skip-batch)", load: nil)
            } else {
                add("top 10 for every user", String(format: "%.2f s, %.4f ms per user%@", recommendAllSeconds,
                                                    recommendAllMsPerUser,
                                                    recommendAllCPUMsPerUser.map { String(format: " (%.4f CPU ms)", $0) } ?? ""),
                    load: "recommendAll")
            }
        }
        add("peak resident memory", String(format: "%.0f MiB", Double(peakRSSBytes) / 1_048_576), load: nil)
        let width0 = rows.map(\.0.count).max() ?? 0
        let width1 = rows.map(\.1.count).max() ?? 0
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
        var lines = [pad("step", width0) + "  " + pad("figure", width1) + "  load avg"]
        lines += rows.map { pad($0.0, width0) + "  " + pad($0.1, width1) + "  " + $0.2 }
        return lines.joined(separator: "\n")
    }
}

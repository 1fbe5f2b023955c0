import ArgumentParser
import Foundation
import KeelCore
import KeelML

/// Keel's gradient-boosted trees against LightGBM (one thread, the same parameters) in the same run: training
/// time on simulated rows with a known non-linear signal, validation RMSE, and prediction time for 500 symbols.
struct GBDTBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gbdt", abstract: "Gradient-boosted trees vs LightGBM (one thread).")

    @ArgumentParser.Option(help: "Training + validation rows (80/20).")
    var rows = 1_000_000

    @ArgumentParser.Option(help: "Features per row.")
    var features = 50

    @ArgumentParser.Option(help: "Trees.")
    var trees = 200

    @ArgumentParser.Option(help: "A Python with lightgbm and numpy (default: $KEEL_LIGHTGBM_PYTHON, else python3).")
    var python: String?

    @ArgumentParser.Flag(help: "Print one JSON object with the figures.")
    var json = false

    /// Issue 25: training at most 0.8x LightGBM's time (one thread) at equal validation RMSE.
    static let targetTimeRatio = 0.8
    static let targetRMSEGap = 0.01
    static let targetPredictMilliseconds = 1.0

    func run() throws {
        guard (10_000...20_000_000).contains(rows) else { throw ValidationError("--rows must be between 10,000 and 20,000,000") }
        guard (5...500).contains(features) else { throw ValidationError("--features must be between 5 and 500") }
        guard (1...5000).contains(trees) else { throw ValidationError("--trees must be between 1 and 5000") }
        let (columns, labels) = Self.simulate(rows: rows, features: features)
        let trainCount = rows * 8 / 10
        let train = Array(0..<trainCount), validation = Array(trainCount..<rows)
        var parameters = GBDTParameters()
        parameters.trees = trees
        parameters.learningRate = 0.1
        parameters.maxDepth = 6
        parameters.maxLeaves = 63
        parameters.maxBins = 255
        parameters.minSamplesPerLeaf = 20
        parameters.l2 = 1
        parameters.earlyStoppingRounds = 0
        let names = (0..<features).map { "f\($0)" }

        let start = DispatchTime.now().uptimeNanoseconds
        let model = try GBDTTrainer(parameters: parameters).fit(featureNames: names, columns: columns, labels: labels, train: train, validation: [])
        let keelSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let dataset = Dataset(featureNames: names, symbols: ["X"], days: [Date()], horizonDays: 1,
                              symbolIndex: [Int32](repeating: 0, count: rows), dayIndex: [Int32](repeating: 0, count: rows),
                              columns: columns, labels: labels)
        let keelRMSE = PredictionMetrics.rmse(model.predict(dataset, rows: validation), validation.map { labels[$0] })

        // 500 symbols' latest features in one batch, as the live path predicts a universe.
        let universe = (0..<500).map { row in (0..<features).map { columns[$0][row] } }
        var checksum = 0.0
        let predict = Timing.measure(repetitions: 50) { checksum += model.predict(batch: universe).reduce(0, +) }

        let interpreter = python ?? ProcessInfo.processInfo.environment["KEEL_LIGHTGBM_PYTHON"] ?? "python3"
        let reference = try Self.lightGBM(columns: columns, labels: labels, trainCount: trainCount, trees: trees, python: interpreter)

        var figures: [String: Any] = [
            "rows": rows, "features": features, "trees": trees, "keel_train_s": keelSeconds, "keel_validation_rmse": keelRMSE,
            "keel_trees_built": model.trees.count, "predict_500_ms_best": predict.best, "predict_500_ms_median": predict.median,
            "targets": ["time_ratio": Self.targetTimeRatio, "rmse_gap": Self.targetRMSEGap, "predict_500_ms": Self.targetPredictMilliseconds],
        ]
        if let reference {
            let ratio = keelSeconds / reference.seconds
            let gap = keelRMSE / reference.rmse - 1
            figures["lightgbm_train_s"] = reference.seconds
            figures["lightgbm_validation_rmse"] = reference.rmse
            figures["time_ratio"] = ratio
            figures["rmse_gap"] = gap
            figures["met"] = ["time": ratio <= Self.targetTimeRatio, "rmse": gap <= Self.targetRMSEGap,
                              "predict": predict.best < Self.targetPredictMilliseconds]
        } else {
            figures["lightgbm"] = "not available with \(interpreter): python3 -m venv /tmp/lgb && /tmp/lgb/bin/pip install lightgbm numpy, then --python /tmp/lgb/bin/python"
        }
        if json {
            print(String(decoding: try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        print(String(format: "Keel gbdt: %d rows x %d features, %d trees in %.2f s, validation RMSE %.5f", rows, features, model.trees.count, keelSeconds, keelRMSE))
        if let reference {
            print(String(format: "LightGBM (1 thread): %.2f s, validation RMSE %.5f -> time %.2fx (target <= %.1fx), RMSE %+.2f%% (target within %.0f%%)",
                         reference.seconds, reference.rmse, keelSeconds / reference.seconds, Self.targetTimeRatio, (keelRMSE / reference.rmse - 1) * 100,
                         Self.targetRMSEGap * 100))
        } else {
            print(figures["lightgbm"] as! String)
        }
        print(String(format: "predict 500 symbols: best %.3f ms, median %.3f ms (target < %.0f ms)", predict.best, predict.median, Self.targetPredictMilliseconds))
    }

    /// Gaussian features; label = 0.5·x0 + sin(2·x1) + 0.3·x2·x3 + 0.2·[x4 > 0] + noise; the rest is noise.
    static func simulate(rows: Int, features: Int) -> ([[Double]], [Double]) {
        var generator = SeededGenerator(seed: 20_261_201)
        var columns = [[Double]](repeating: [Double](repeating: 0, count: rows), count: features)
        var labels = [Double](repeating: 0, count: rows)
        for i in 0..<rows {
            for f in 0..<features { columns[f][i] = generator.nextNormal() }
            labels[i] = 0.5 * columns[0][i] + sin(2 * columns[1][i]) + 0.3 * columns[2][i] * columns[3][i]
                + (columns[4][i] > 0 ? 0.2 : 0) + 0.5 * generator.nextNormal()
        }
        return (columns, labels)
    }

    struct Reference { var seconds: Double; var rmse: Double }

    static func lightGBM(columns: [[Double]], labels: [Double], trainCount: Int, trees: Int, python: String) throws -> Reference? {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keel-bench-gbdt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let handle = try FileHandle(forWritingTo: { let url = folder.appendingPathComponent("x"); _ = FileManager.default.createFile(atPath: url.path, contents: nil); return url }())
        for column in columns { handle.write(column.withUnsafeBufferPointer { Data(buffer: $0) }) }
        try handle.close()
        try labels.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: folder.appendingPathComponent("y"))
        let script = """
        import sys, time
        import numpy as np, lightgbm as lgb
        d, features, train, trees = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
        y = np.fromfile(d + '/y', dtype=np.float64)
        x = np.fromfile(d + '/x', dtype=np.float64).reshape(features, -1).T.copy()
        params = dict(objective='regression', num_leaves=63, max_depth=6, learning_rate=0.1, max_bin=255, min_data_in_leaf=20,
                      lambda_l2=1.0, bagging_fraction=1.0, feature_fraction=1.0, num_threads=1, verbose=-1, deterministic=True)
        t = time.perf_counter()
        booster = lgb.train(params, lgb.Dataset(x[:train], y[:train]), num_boost_round=trees)
        seconds = time.perf_counter() - t
        p = booster.predict(x[train:], num_threads=1)
        print(seconds, float(np.sqrt(np.mean((p - y[train:]) ** 2))))
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", script, folder.path, String(columns.count), String(trainCount), String(trees)]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        do { try process.run() } catch { return nil }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let numbers = text.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
        guard numbers.count == 2 else { return nil }
        return Reference(seconds: numbers[0], rmse: numbers[1])
    }
}

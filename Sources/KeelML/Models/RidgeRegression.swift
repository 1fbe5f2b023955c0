import Foundation

/// Closed-form ridge regression on standardised features: w = (ZᵀZ + λ·n·I)⁻¹ Zᵀ(y − ȳ), solved by Cholesky.
/// λ is picked from a grid by validation RMSE. Deterministic: no randomness at all.
public struct RidgeModel: Sendable, Codable, Hashable {
    public var featureNames: [String]
    public var standardizer: Standardizer
    public var weights: [Double]
    public var intercept: Double
    public var lambda: Double

    public func predict(_ dataset: Dataset, rows: [Int]) -> [Double] {
        rows.map { row in
            var value = intercept
            for f in 0..<weights.count { value += weights[f] * standardizer.scaled(dataset.columns[f][row], feature: f) }
            return value
        }
    }

    public func predict(features: [Double]) -> Double {
        var value = intercept
        for f in 0..<min(weights.count, features.count) { value += weights[f] * standardizer.scaled(features[f], feature: f) }
        return value
    }
}

public struct RidgeTrainer: Sendable {
    public static let defaultLambdas: [Double] = [1e-4, 1e-3, 1e-2, 1e-1, 1, 10]

    public var lambdas: [Double]

    public init(lambdas: [Double] = Self.defaultLambdas) {
        self.lambdas = lambdas.isEmpty ? Self.defaultLambdas : lambdas
    }

    public enum TrainingError: Error, CustomStringConvertible {
        case tooFewRows(Int)
        public var description: String {
            switch self {
            case .tooFewRows(let n): "ridge needs labelled training rows; found \(n)"
            }
        }
    }

    /// Fits on `train`, picks λ by RMSE on `validation` (the smallest λ on ties), refits nothing: the chosen fit is returned.
    public func fit(_ dataset: Dataset, train: [Int], validation: [Int]) throws -> RidgeModel {
        guard train.count >= 2 else { throw TrainingError.tooFewRows(train.count) }
        let p = dataset.featureCount
        let standardizer = Standardizer(fitting: dataset, rows: train)
        var gram = [Double](repeating: 0, count: p * p)
        var moment = [Double](repeating: 0, count: p)
        let meanLabel = train.reduce(0.0) { $0 + dataset.labels[$1] } / Double(train.count)
        var z = [Double](repeating: 0, count: p)
        for row in train {
            for f in 0..<p { z[f] = standardizer.scaled(dataset.columns[f][row], feature: f) }
            let y = dataset.labels[row] - meanLabel
            for i in 0..<p {
                let zi = z[i]
                guard zi != 0 else { continue }
                moment[i] += zi * y
                for j in 0...i { gram[i * p + j] += zi * z[j] }
            }
        }
        for i in 0..<p { for j in 0..<i { gram[j * p + i] = gram[i * p + j] } }

        var best: (model: RidgeModel, rmse: Double)?
        for lambda in lambdas.sorted() {
            var system = gram
            for i in 0..<p { system[i * p + i] += lambda * Double(train.count) }
            guard let weights = Cholesky.solve(system, moment, size: p) else { continue }
            let model = RidgeModel(featureNames: dataset.featureNames, standardizer: standardizer, weights: weights,
                                   intercept: meanLabel, lambda: lambda)
            let rmse = validation.isEmpty ? 0 : PredictionMetrics.rmse(model.predict(dataset, rows: validation), validation.map { dataset.labels[$0] })
            if best == nil || rmse < best!.rmse - 1e-15 { best = (model, rmse) }
        }
        guard let chosen = best?.model else { throw TrainingError.tooFewRows(train.count) }
        return chosen
    }
}

/// Solves A x = b for a symmetric positive-definite A (row-major, size × size); nil when A is not positive definite.
enum Cholesky {
    static func solve(_ a: [Double], _ b: [Double], size n: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var sum = a[i * n + j]
                for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard sum > 0 else { return nil }
                    l[i * n + i] = sum.squareRoot()
                } else {
                    l[i * n + j] = sum / l[j * n + j]
                }
            }
        }
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var sum = b[i]
            for k in 0..<i { sum -= l[i * n + k] * y[k] }
            y[i] = sum / l[i * n + i]
        }
        var x = [Double](repeating: 0, count: n)
        for i in stride(from: n - 1, through: 0, by: -1) {
            var sum = y[i]
            for k in (i + 1)..<n { sum -= l[k * n + i] * x[k] }
            x[i] = sum / l[i * n + i]
        }
        return x
    }
}

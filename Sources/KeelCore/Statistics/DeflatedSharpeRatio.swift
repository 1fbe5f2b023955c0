import Foundation

/// The deflated Sharpe ratio (Bailey and Lopez de Prado, 2014): the probability that a strategy's true Sharpe
/// ratio exceeds the best one expected from `trials` tries of pure noise, given the length, skew and fat tails of
/// its returns. Sharpe ratios here are per period (not annualised).
///
///     SR0 = sqrt(V) * ((1 - g) * Z^-1(1 - 1/N) + g * Z^-1(1 - 1/(N e)))      (g = Euler-Mascheroni)
///     DSR = Z((SR - SR0) * sqrt(T - 1) / sqrt(1 - skew * SR + (kurtosis - 1) / 4 * SR^2))
///
/// V is the variance of the Sharpe ratios across the trials. With one trial SR0 = 0 and DSR is the
/// probabilistic Sharpe ratio against zero.
public struct DeflatedSharpeRatio: Sendable, Hashable, Codable {
    public var sharpe: Double
    /// The Sharpe ratio the best of `trials` noise strategies would show: the bar `sharpe` is judged against.
    public var expectedMaximumSharpe: Double
    public var probability: Double
    public var trials: Int
    public var observations: Int

    static let eulerMascheroni = 0.5772156649015329

    /// `returns`: the per-period returns judged. `trialSharpeVariance`: the variance of the per-period Sharpe
    /// ratios of all trials on this data; when unknown or smaller, the variance a Sharpe estimate has under the
    /// null (1 / T) is used, so a handful of similar tries is never taken as evidence of a narrow spread.
    public init(returns: [Double], trials: Int, trialSharpeVariance: Double? = nil) {
        let values = returns.filter(\.isFinite)
        let t = values.count
        observations = t
        self.trials = max(1, trials)
        guard t >= 3 else { sharpe = 0; expectedMaximumSharpe = 0; probability = 0; return }
        let n = Double(t)
        let mean = values.reduce(0, +) / n
        var m2 = 0.0, m3 = 0.0, m4 = 0.0
        for value in values {
            let d = value - mean
            m2 += d * d; m3 += d * d * d; m4 += d * d * d * d
        }
        m2 /= n; m3 /= n; m4 /= n
        guard m2 > 0 else { sharpe = 0; expectedMaximumSharpe = 0; probability = 0; return }
        let sd = m2.squareRoot()
        let sr = mean / sd
        let skew = m3 / (sd * sd * sd), kurtosis = m4 / (m2 * m2)
        sharpe = sr
        let variance = max(trialSharpeVariance ?? 0, 1 / n)
        expectedMaximumSharpe = Self.expectedMaximum(trials: self.trials, sharpeVariance: variance)
        let denominator = 1 - skew * sr + (kurtosis - 1) / 4 * sr * sr
        probability = denominator > 0
            ? NormalDistribution.cdf((sr - expectedMaximumSharpe) * (n - 1).squareRoot() / denominator.squareRoot())
            : 0
    }

    /// The expected maximum per-period Sharpe of `trials` independent zero-skill strategies whose Sharpe
    /// estimates have variance `sharpeVariance`.
    public static func expectedMaximum(trials: Int, sharpeVariance: Double) -> Double {
        guard trials > 1, sharpeVariance > 0 else { return 0 }
        let n = Double(trials), g = eulerMascheroni
        return sharpeVariance.squareRoot() * ((1 - g) * NormalDistribution.quantile(1 - 1 / n) + g * NormalDistribution.quantile(1 - 1 / (n * M_E)))
    }
}

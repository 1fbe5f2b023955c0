import Foundation

/// The t-statistic of a series' mean when neighbouring observations are correlated, as daily information
/// coefficients on overlapping h-day labels are: Newey-West (HAC) with Bartlett weights,
///
///     t = mean / sqrt(S / n),  S = g0 + 2 * sum_{l=1..L} (1 - l / (L + 1)) * g_l,
///
/// where g_l is the lag-l autocovariance (divided by n) and L the lag count. With L >= h - 1 the overlap of h-day
/// labels is covered; the plain t (L = 0) overstates significance by about sqrt(h) on such series.
public struct NeweyWestMean: Sendable, Hashable, Codable {
    public var mean: Double
    public var standardError: Double
    public var tStatistic: Double
    public var lags: Int
    public var observations: Int

    /// `lags` is clamped to [0, n - 1]. Fewer than 2 observations, or no variance, give t = 0.
    public init(_ values: [Double], lags: Int) {
        let n = values.count
        observations = n
        self.lags = max(0, min(lags, n - 1))
        guard n >= 2 else { mean = values.first ?? 0; standardError = 0; tStatistic = 0; return }
        let m = values.reduce(0, +) / Double(n)
        mean = m
        let centred = values.map { $0 - m }
        func autocovariance(_ lag: Int) -> Double {
            var sum = 0.0
            for i in lag..<n { sum += centred[i] * centred[i - lag] }
            return sum / Double(n)
        }
        var longRun = autocovariance(0)
        if self.lags > 0 {
            for lag in 1...self.lags { longRun += 2 * (1 - Double(lag) / Double(self.lags + 1)) * autocovariance(lag) }
        }
        // Small-sample correction n / (n - 1), as the plain sample variance has; Bartlett keeps S >= 0.
        let variance = max(longRun, 0) * Double(n) / Double(n - 1)
        standardError = (variance / Double(n)).squareRoot()
        tStatistic = standardError > 0 && standardError.isFinite ? m / standardError : 0
    }

    /// The lag count used for h-day overlapping labels: twice the overlap (2(h - 1)), at least the
    /// Newey-West rule of thumb floor(4 (n / 100)^(2/9)). Bartlett weights shrink the overlap's autocovariances, so
    /// h - 1 lags alone under-cover it; measured on null markets, 2(h - 1) keeps the test at its size.
    public static func lags(horizon: Int, observations: Int) -> Int {
        let ruleOfThumb = Int((4 * pow(Double(max(observations, 1)) / 100, 2.0 / 9)).rounded(.down))
        return max(2 * max(horizon - 1, 0), ruleOfThumb)
    }
}

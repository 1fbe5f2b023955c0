import Foundation
import KeelCore

/// How well predictions rank and size forward returns: per-day cross-sectional information coefficients
/// (Pearson IC, Spearman rank IC), hit rate (sign of the demeaned prediction vs the demeaned return) and RMSE.
public struct PredictionMetrics: Sendable, Codable, Hashable {
    public var days: Int
    public var rows: Int
    public var meanIC: Double
    public var meanRankIC: Double
    /// Newey-West t-statistic of the daily rank ICs' mean, with `rankICLags` lags (see `NeweyWestMean`): the
    /// daily ICs of overlapping h-day labels are autocorrelated, and the plain t overstates them by about √h.
    public var rankICTStat: Double
    /// The lags of that t-statistic: max(2(h - 1), floor(4 (days / 100)^(2/9))). Nil in reports stored before it.
    public var rankICLags: Int?
    /// The plain t-statistic (mean / (sd / √days)), which ignores that autocorrelation: shown beside the gate's to
    /// make the overlap's inflation visible, never used by the gate. Nil in reports stored before it.
    public var rankICPlainTStat: Double?
    public var hitRate: Double
    public var rmse: Double

    // `rankIcTStat`: so the API's snake_case spells it rank_ic_t_stat, not rank_ict_stat.
    enum CodingKeys: String, CodingKey {
        case days, rows, meanIC, meanRankIC, rankICTStat = "rankIcTStat", rankICLags = "rankIcLags", rankICPlainTStat = "rankIcPlainTStat", hitRate, rmse
    }

    /// Metrics of `predictions` (aligned with `rows`) over the dataset's labels.
    public static func evaluate(_ dataset: Dataset, rows: [Int], predictions: [Double]) -> PredictionMetrics {
        var predictionOf: [Int: Double] = [:]
        for (row, value) in zip(rows, predictions) { predictionOf[row] = value }
        var ics: [Double] = [], rankICs: [Double] = [], hits = 0.0, decided = 0.0
        for (_, dayRows) in dataset.rowsByDay(rows) where dayRows.count >= 3 {
            let p = dayRows.map { predictionOf[$0]! }, y = dayRows.map { dataset.labels[$0] }
            if let ic = pearson(p, y) { ics.append(ic) }
            if let rankIC = pearson(ranks(p), ranks(y)) { rankICs.append(rankIC) }
            let meanP = p.reduce(0, +) / Double(p.count), meanY = y.reduce(0, +) / Double(y.count)
            for (a, b) in zip(p, y) where a != meanP && b != meanY {
                decided += 1
                if (a > meanP) == (b > meanY) { hits += 1 }
            }
        }
        let hac = NeweyWestMean(rankICs, lags: NeweyWestMean.lags(horizon: dataset.horizonDays, observations: rankICs.count))
        return PredictionMetrics(days: rankICs.count, rows: rows.count, meanIC: mean(ics), meanRankIC: mean(rankICs), rankICTStat: hac.tStatistic,
                                 rankICLags: hac.lags, rankICPlainTStat: NeweyWestMean(rankICs, lags: 0).tStatistic,
                                 hitRate: decided > 0 ? hits / decided : 0.5,
                                 rmse: rmse(predictions, rows.map { dataset.labels[$0] }))
    }

    /// Spearman's rank correlation of two equally long series; nil when either is constant or shorter than 2.
    public static func rankCorrelation(_ a: [Double], _ b: [Double]) -> Double? {
        guard a.count == b.count else { return nil }
        return pearson(ranks(a), ranks(b))
    }

    public static func rmse(_ predictions: [Double], _ labels: [Double]) -> Double {
        guard !predictions.isEmpty else { return 0 }
        var sum = 0.0
        for (p, y) in zip(predictions, labels) { sum += (p - y) * (p - y) }
        return (sum / Double(predictions.count)).squareRoot()
    }

    static func pearson(_ a: [Double], _ b: [Double]) -> Double? {
        let n = Double(a.count)
        guard a.count >= 2 else { return nil }
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var cov = 0.0, va = 0.0, vb = 0.0
        for (x, y) in zip(a, b) { cov += (x - ma) * (y - mb); va += (x - ma) * (x - ma); vb += (y - mb) * (y - mb) }
        guard va > 0, vb > 0 else { return nil }
        return cov / (va * vb).squareRoot()
    }

    /// Average ranks (ties share their mean rank).
    static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var result = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let rank = Double(i + j) / 2
            for k in i...j { result[order[k]] = rank }
            i = j + 1
        }
        return result
    }

    static func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }

}

import Foundation
import KeelCore

/// The deployment gate's rules. Every test is one-sided and corrected for the number of trials on the same data
/// (see `DeploymentGate`).
public struct GateRules: Sendable, Codable, Hashable {
    /// Predictors: the mean out-of-sample rank IC must exceed this…
    public var minimumMeanRankIC = 0.0
    /// …with a Newey-West t-statistic of at least the larger of this floor and the Bonferroni threshold.
    public var minimumRankICTStat = 2.0
    /// The one-sided false-positive rate the rank-IC test allows across all trials on one dataset (Bonferroni:
    /// each trial is tested at `familyWiseAlpha / trials`). 0.0228 is t = 2.0 for a single trial.
    public var familyWiseAlpha = 0.0228
    /// More than this share of the walk-forward test windows must show a positive mean rank IC.
    public var minimumPositiveWindowShare = 0.5
    /// Out-of-sample Sharpe (annualised) at least the best baseline's plus this: an economic floor.
    public var sharpeMargin = 0.1
    /// The deflated Sharpe ratio of the daily returns over the best baseline must reach this probability.
    public var minimumDeflatedSharpe = 0.80
    /// The most recent share of the labelled days held out of every training choice and scored once.
    public var holdoutFraction = 0.2

    public init() {}

    enum CodingKeys: String, CodingKey {
        case minimumMeanRankIC, minimumRankICTStat = "minimumRankIcTStat", familyWiseAlpha, minimumPositiveWindowShare, sharpeMargin, minimumDeflatedSharpe, holdoutFraction
    }

    // Reports stored before a rule existed still decode, with that rule at its default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = GateRules()
        minimumMeanRankIC = try container.decodeIfPresent(Double.self, forKey: .minimumMeanRankIC) ?? defaults.minimumMeanRankIC
        minimumRankICTStat = try container.decodeIfPresent(Double.self, forKey: .minimumRankICTStat) ?? defaults.minimumRankICTStat
        familyWiseAlpha = try container.decodeIfPresent(Double.self, forKey: .familyWiseAlpha) ?? defaults.familyWiseAlpha
        minimumPositiveWindowShare = try container.decodeIfPresent(Double.self, forKey: .minimumPositiveWindowShare) ?? defaults.minimumPositiveWindowShare
        sharpeMargin = try container.decodeIfPresent(Double.self, forKey: .sharpeMargin) ?? defaults.sharpeMargin
        minimumDeflatedSharpe = try container.decodeIfPresent(Double.self, forKey: .minimumDeflatedSharpe) ?? defaults.minimumDeflatedSharpe
        holdoutFraction = try container.decodeIfPresent(Double.self, forKey: .holdoutFraction) ?? defaults.holdoutFraction
    }

    /// The rank-IC t a trial must reach when `trials` were run on the same data, over `days` test days of
    /// `horizon`-day labels: max(floor, T^-1(1 - alpha / trials; df)) with df = days / horizon - 1, the count of
    /// non-overlapping labels. With few of them the Newey-West variance is itself noisy, and the normal critical
    /// value would pass noise too often (measured: 9% instead of <= 2.3% at h = 60 on 1,000-day markets).
    public func rankICThreshold(trials: Int, days: Int, horizon: Int) -> Double {
        let independent = Double(max(days, 0)) / Double(max(horizon, 1))
        let p = 1 - familyWiseAlpha / Double(max(1, trials))
        return max(minimumRankICTStat, StudentTDistribution.quantile(p, degreesOfFreedom: max(1, independent - 1)))
    }
}

public struct GateVerdict: Sendable, Codable, Hashable {
    public var passed: Bool
    public var reasons: [String]
}

/// How many tries were made on this data before and including this one, and how widely their Sharpe ratios
/// spread: what the gate's thresholds are corrected for.
public struct TrialHistory: Sendable, Codable, Hashable {
    /// This version's number among the trainings of its family on the same universe and date range (1 = first).
    public var number: Int
    /// The variance of the per-day Sharpe ratios the earlier trials measured (nil: fewer than two known).
    public var sharpeVariance: Double?

    public init(number: Int = 1, sharpeVariance: Double? = nil) {
        self.number = max(1, number)
        self.sharpeVariance = sharpeVariance
    }
}

/// The thresholds a verdict was judged with, after the correction for trials.
public struct GateThresholds: Sendable, Codable, Hashable {
    public var trials: Int
    /// The rank-IC t-statistic required (Bonferroni over the trials, at least the floor).
    public var rankICTStat: Double
    /// Newey-West lags used for the rank-IC t-statistic.
    public var rankICLags: Int
    /// The per-day Sharpe of returns over the best baseline that the best of `trials` noise strategies would reach.
    public var expectedMaximumSharpe: Double
    /// The per-day Sharpe of the version's returns over the best baseline: what the trial registry keeps.
    public var activeSharpe: Double
    /// The deflated Sharpe probability measured, and the one required.
    public var deflatedSharpe: Double
    public var minimumDeflatedSharpe: Double
    /// Test windows with a positive mean rank IC, of all.
    public var positiveWindows: Int
    public var windows: Int

    // So the API's snake_case spells rank_ic_t_stat and rank_ic_lags.
    enum CodingKeys: String, CodingKey {
        case trials, rankICTStat = "rankIcTStat", rankICLags = "rankIcLags", expectedMaximumSharpe, activeSharpe, deflatedSharpe,
             minimumDeflatedSharpe, positiveWindows, windows
    }
}

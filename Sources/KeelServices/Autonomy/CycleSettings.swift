import Foundation
import KeelCore

/// How the autonomous cycle decides and when it runs.
public struct CycleSettings: Sendable {
    /// The symbol whose regime drives strategy choice and whose return is every account's benchmark.
    public var regimeSymbol: String = "SPY"
    public var selector = StrategySelector.Settings()
    /// Days of live record a running strategy is judged on (at most).
    public var performanceWindow: Int = 126
    /// A strategy is demoted only on evidence: the t-statistic of its daily returns over the benchmark's
    /// (mean / (sd / sqrt(n)), i.e. the information ratio times sqrt(n)) at or below this. -2.0: a one-sided test
    /// at about 2.3% that it trails; a 3% gap over 10 days, about one standard deviation of tracking error, is not.
    public var demotionTStatistic: Double = -2.0
    /// Fewer days of record than this: not judged yet.
    public var minimumJudgedDays: Int = 60
    /// How long a demoted strategy is not chosen again.
    public var demotionDays: Double = 20
    /// Run the cycle by itself each day (the `duty.cycle_schedule` duty); off: on demand only.
    public var scheduled: Bool = false
    /// Minutes after the NYSE close the scheduled cycle starts.
    public var minutesAfterClose: Int = 30
    /// UTC time (minutes after midnight) of the cycle on days without an equity session (crypto trades daily).
    public var cryptoMinuteUTC: Int = 30
    /// Parallel per-account jobs (live accounts, hand-offs) across all workers.
    public var accountConcurrency: Int = 8
    /// Paper accounts per `cycle.chunk` job: each step runs for the whole chunk and is recorded once per chunk.
    public var chunkSize: Int = 100
    /// Parallel chunk jobs across all workers.
    public var chunkConcurrency: Int = 4
    /// Accounts of one chunk a step runs at once (they wait on the database, not the CPU).
    public var accountsAtOnceInChunk: Int = 4
    public var dataSource: CycleDataSource = .storedBars

    public init() {}
}

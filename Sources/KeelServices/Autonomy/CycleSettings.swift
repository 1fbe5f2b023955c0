import Foundation
import KeelCore

/// How the autonomous cycle decides and when it runs.
public struct CycleSettings: Sendable {
    /// The symbol whose regime drives strategy choice and whose return is every account's benchmark.
    public var regimeSymbol: String = "SPY"
    public var selector = StrategySelector.Settings()
    /// Days of live record a running strategy is judged on.
    public var performanceWindow: Int = 20
    /// A strategy trailing its benchmark by more than this over the window is switched.
    public var underperformanceMargin: Double = 0.03
    /// Fewer days of record than this: not judged yet.
    public var minimumJudgedDays: Int = 10
    /// How long a demoted strategy is not chosen again.
    public var demotionDays: Double = 20
    /// Run the cycle by itself each day (the `duty.cycle_schedule` duty); off: on demand only.
    public var scheduled: Bool = false
    /// Minutes after the NYSE close the scheduled cycle starts.
    public var minutesAfterClose: Int = 30
    /// UTC time (minutes after midnight) of the cycle on days without an equity session (crypto trades daily).
    public var cryptoMinuteUTC: Int = 30
    /// Parallel per-account jobs across all workers.
    public var accountConcurrency: Int = 8
    public var dataSource: CycleDataSource = .storedBars

    public init() {}
}

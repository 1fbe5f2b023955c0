import Foundation

/// Where the cycle's data-update step gets new bars.
public enum CycleDataSource: Sendable, Hashable {
    /// Bars arrive by other means (`keel data update`, pipeline jobs); the step reports their freshness.
    case storedBars
    /// The demo's simulated market, continued to today (what `keel serve` uses with demo data).
    case simulator(seed: UInt64, historyDays: Int)
}

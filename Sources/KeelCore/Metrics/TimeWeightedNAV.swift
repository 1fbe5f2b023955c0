/// The time-weighted NAV of an account with deposits and withdrawals: each day's return is the change in value not
/// explained by the day's net flow, and the NAV (the unit value) compounds those returns from the first day's value.
///
///     r_t = (V_t - F_t) / V_{t-1} - 1        NAV_t = NAV_{t-1} * (1 + r_t)        NAV_0 = V_0
///
/// F_t is the net flow booked since the previous value (deposits positive), counted at the end of the day: money
/// that arrives is not a gain and money withdrawn is not a loss. Drawdown against the high-water mark is measured
/// on the NAV.
public enum TimeWeightedNAV {
    /// The period's return, or nil when the previous value is not a positive finite number (nothing to compound on).
    public static func periodReturn(previousValue: Double, value: Double, netFlow: Double) -> Double? {
        guard previousValue.isFinite, previousValue > 0, value.isFinite, netFlow.isFinite else { return nil }
        return (value - netFlow) / previousValue - 1
    }

    /// Today's NAV from yesterday's NAV and value and the net flow in between. The first day (no NAV yet) starts
    /// at the day's value; a day after an empty account (nothing to measure a return on) carries the NAV unchanged.
    public static func next(previousNAV: Double?, previousValue: Double?, value: Double, netFlow: Double) -> Double {
        guard let previousNAV, previousNAV.isFinite, previousNAV > 0 else { return value.isFinite ? max(value, 0) : 0 }
        guard let previousValue, let r = periodReturn(previousValue: previousValue, value: value, netFlow: netFlow) else { return previousNAV }
        return previousNAV * max(1 + r, 0)
    }
}

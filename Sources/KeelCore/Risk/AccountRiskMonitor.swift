import Foundation

/// Per-account drawdown and volatility limits, judged on the account's daily values.
///
/// Breach: the drawdown from the high-water mark is deeper than `maxDrawdown`, or the annualised volatility of
/// the last `volatilityWindow` daily returns is above `maxVolatility`. The high-water mark is the persisted peak
/// since the limit was set (`highWaterMark`), never just the peak of the values passed in, so a slow bleed
/// cannot hide by outliving a window.
/// Recovery (the stated rule): a de-risked account returns to its strategy once its drawdown is back within
/// half the limit and its volatility within three quarters of it, both on the same day.
public struct AccountRiskMonitor: Sendable {
    public var maxDrawdown: Double?
    public var maxVolatility: Double?
    public var volatilityWindow: Int = 20
    /// Fewer daily returns than this: volatility is not judged (too noisy).
    public var minimumVolatilityDays: Int = 10

    public init(maxDrawdown: Double?, maxVolatility: Double?) {
        self.maxDrawdown = maxDrawdown
        self.maxVolatility = maxVolatility
    }

    public struct Assessment: Sendable, Hashable, Codable {
        public var drawdown: Double
        public var volatility: Double?
        public var breached: Bool
        /// True when a de-risked account may return to its strategy.
        public var recovered: Bool
        public var reason: String
    }

    /// `values`: daily portfolio values, oldest first (today's last). `highWaterMark`: the highest value recorded
    /// since the drawdown limit was set, however long ago.
    public func assess(values: [Double], highWaterMark: Double? = nil, currentlyDerisked: Bool) -> Assessment {
        let finite = values.filter { $0.isFinite && $0 > 0 }
        // With a high-water mark, it and today's value decide the peak (the values may reach back before the
        // limit was set); without one, the values' own peak.
        let mark = highWaterMark.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        let peak = mark.map { max($0, finite.last ?? 0) } ?? finite.max() ?? 0
        let drawdown = (finite.last.map { peak > 0 ? $0 / peak - 1 : 0 }) ?? 0
        let returns = PerformanceMetrics.returns(Array(finite.suffix(volatilityWindow + 1)))
        let volatility = returns.count >= minimumVolatilityDays ? PerformanceMetrics.annualVolatility(returns) : nil
        let vol = volatility.flatMap { $0.isFinite ? $0 : nil }
        var breaches: [String] = []
        if let limit = maxDrawdown, -drawdown > limit {
            breaches.append(String(format: "drawdown %.1f%% beyond the %.1f%% limit", -drawdown * 100, limit * 100))
        }
        if let limit = maxVolatility, let vol, vol > limit {
            breaches.append(String(format: "volatility %.1f%% above the %.1f%% limit", vol * 100, limit * 100))
        }
        let drawdownOK = maxDrawdown.map { -drawdown <= $0 / 2 } ?? true
        let volatilityOK = maxVolatility.map { limit in (vol ?? 0) <= limit * 0.75 } ?? true
        let recovered = currentlyDerisked && breaches.isEmpty && drawdownOK && volatilityOK
        let reason: String
        if !breaches.isEmpty {
            reason = breaches.joined(separator: "; ")
        } else if currentlyDerisked {
            reason = recovered ? "recovered: drawdown within half its limit and volatility within three quarters of its limit"
                               : "still de-risked: waiting for drawdown within half its limit and volatility within three quarters of its limit"
        } else {
            reason = "within limits"
        }
        return Assessment(drawdown: drawdown, volatility: vol, breached: !breaches.isEmpty, recovered: recovered, reason: reason)
    }
}

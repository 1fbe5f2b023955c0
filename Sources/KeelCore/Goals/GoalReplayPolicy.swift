import Foundation

/// A return goal that restarts every calendar period (e.g. +5% each month), as a sizing policy for the
/// portfolio backtester: at each rebalance it measures the period's progress from the period's first value and
/// asks `GoalSizing` for the factor, as the live goal service does.
public struct GoalReplayPolicy: RebalanceSizing {
    public let type: GoalType
    /// Percent target of each period (5 = +5%).
    public let target: Double
    public let sizing: GoalSizing
    public let calendar: ExchangeCalendar
    private var period: GoalPeriod?
    private var startValue = 0.0

    public init(type: GoalType, target: Double, sizing: GoalSizing = GoalSizing(), calendar: ExchangeCalendar = .nyse) {
        precondition(GoalPeriod.calendarPeriod(of: type, containing: Date()) != nil, "replays need a periodic return goal")
        self.type = type
        self.target = target
        self.sizing = sizing
        self.calendar = calendar
    }

    public mutating func factor(at date: Date, value: Double) -> Double {
        if period.map({ date >= $0.end }) ?? true {
            period = GoalPeriod.calendarPeriod(of: type, containing: date)
            startValue = value
        }
        guard let period else { return 1 }
        let measured = GoalMeasurement(type: type, target: target, startingValue: startValue, value: value, peakValue: value)
        return sizing.decide(.init(progress: measured.progress, elapsed: period.elapsed(at: date),
                                   tradingDaysLeft: period.tradingDaysLeft(at: date, calendar: calendar),
                                   targetReturn: target / 100)).factor
    }

    /// Each calendar period's return on an equity curve (first to last bar of the period), oldest first.
    public static func periodReturns(type: GoalType, timestamps: [Date], equity: [Double]) -> [(start: Date, periodReturn: Double)] {
        var out: [(Date, Double)] = []
        var current: GoalPeriod?
        var first = 0.0, last = 0.0
        for (date, value) in zip(timestamps, equity) {
            if current.map({ date >= $0.end }) ?? true {
                if let current, first > 0 { out.append((current.start, last / first - 1)) }
                current = GoalPeriod.calendarPeriod(of: type, containing: date)
                first = last > 0 ? last : value
            }
            last = value
        }
        if let current, first > 0 { out.append((current.start, last / first - 1)) }
        return out.map { (start: $0.0, periodReturn: $0.1) }
    }
}

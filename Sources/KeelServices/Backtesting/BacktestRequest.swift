import Foundation
import KeelCore

/// Everything a backtest run needs to be reproduced: strategy and parameters, data, costs, constraints.
public struct BacktestRequest: Sendable, Codable, Hashable {
    /// sma-cross, ema-cross, momentum, breakout, mean-reversion, balanced, buy-and-hold, or model:N (model portfolio N).
    public var strategy: String
    public var symbols: [String]
    public var from: Date?
    public var to: Date?
    /// Read bars from CSV files instead of the database.
    public var csvPath: String?
    public var cash: Double
    public var fill: FillTiming
    public var commissionPerOrder: Double?
    public var commissionBps: Double?
    public var commissionPerShare: Double?
    /// Schwab's equity fees (0 commission, SEC and FINRA fees on sells).
    public var schwabFees: Bool
    public var slippageBps: Double
    public var benchmark: String?
    // Signal strategies.
    public var fast: Int
    public var slow: Int
    public var shares: Double
    // Portfolio strategies.
    public var lookback: Int
    public var window: Int
    public var rebalanceEvery: Int?
    public var maxPositions: Int
    public var maxWeight: Double
    public var cashBuffer: Double
    /// Goal replay: a periodic return goal (monthly_return, quarterly_return, yearly_return) whose
    /// goal-aware sizing is compared with constant sizing on the same strategy and data.
    public var goalType: String? = nil
    /// Percent target of each period (5 = +5%).
    public var goalTarget: Double? = nil
    /// Replay lots, wash sales and taxes, the naive policy beside the tax-aware one, at these rates.
    public var tax: Bool = false
    public var shortTermRate: Double = 0.37
    public var longTermRate: Double = 0.20
    /// With `tax`: the tax-aware policy also harvests losses (substitutes paired by correlation).
    public var harvest: Bool = true
    // Optional, so requests stored before these two existed still decode.
    /// With `tax`: the tax-aware policy's drift-tax tolerance (nil: the live default, 0.10), to price the drift rule.
    public var driftTaxTolerance: Double? = nil
    /// With `tax`: the tax-aware policy lets wash sales happen (its other rules stay), to price the wash-sale rule.
    public var allowWashSales: Bool? = nil
    /// With `tax`: also compare the policies on this many seeded sub-universes of the symbols (`TaxDrawComparison`).
    public var taxDraws: Int? = nil
    /// The symbols in each draw (default: half of them).
    public var drawSize: Int? = nil

    public init(strategy: String, symbols: [String] = [], from: Date? = nil, to: Date? = nil, csvPath: String? = nil, cash: Double = 100_000,
                fill: FillTiming = .close, commissionPerOrder: Double? = nil, commissionBps: Double? = nil, commissionPerShare: Double? = nil,
                schwabFees: Bool = false, slippageBps: Double = 0, benchmark: String? = nil, fast: Int = 10, slow: Int = 30, shares: Double = 100,
                lookback: Int = 252, window: Int = 20, rebalanceEvery: Int? = nil, maxPositions: Int = 10, maxWeight: Double = 0.25, cashBuffer: Double = 0.02) {
        self.strategy = strategy
        self.symbols = symbols
        self.from = from
        self.to = to
        self.csvPath = csvPath
        self.cash = cash
        self.fill = fill
        self.commissionPerOrder = commissionPerOrder
        self.commissionBps = commissionBps
        self.commissionPerShare = commissionPerShare
        self.schwabFees = schwabFees
        self.slippageBps = slippageBps
        self.benchmark = benchmark
        self.fast = fast
        self.slow = slow
        self.shares = shares
        self.lookback = lookback
        self.window = window
        self.rebalanceEvery = rebalanceEvery
        self.maxPositions = maxPositions
        self.maxWeight = maxWeight
        self.cashBuffer = cashBuffer
    }

    /// What a portfolio backtest fills with when the request names none of fill, slippage or fees: as Keel's live
    /// trading does (decided after a close, filled at the next open, the paper broker's 5 bp slippage, Schwab's fees
    /// on sells). Same-close fills without costs stay available when asked for, and reports call them optimistic.
    public static func liveLikeDefaults(strategy: String, fill: FillTiming?, slippageBps: Double?, commissionGiven: Bool)
        -> (fill: FillTiming, slippageBps: Double, schwabFees: Bool) {
        let portfolio = portfolioStrategies.contains(strategy)
        return (fill ?? (portfolio ? .nextOpen : .close), slippageBps ?? (portfolio ? 5 : 0), portfolio && !commissionGiven)
    }

    /// How the fills of this request are described in its report.
    public var fillsLabel: String { execution.label }

    public static let signalStrategies: Set<String> = ["sma-cross", "ema-cross"]
    public static let portfolioStrategies: Set<String> = ["momentum", "breakout", "mean-reversion", "balanced", "equal-weight", "buy-and-hold",
                                                          autonomous]
    /// The whole autonomous policy replayed day by day (`AutonomousPolicyReplay`); needs a benchmark.
    public static let autonomous = "autonomous"

    public var execution: ExecutionModel {
        let commission: CommissionModel
        if schwabFees { commission = .schwabEquities }
        else if let perOrder = commissionPerOrder { commission = .perOrder(perOrder) }
        else if let bps = commissionBps { commission = .basisPoints(bps) }
        else if let perShare = commissionPerShare { commission = .perShare(perShare, minimum: 0) }
        else { commission = .none }
        return ExecutionModel(timing: fill, slippage: slippageBps > 0 ? .fixedBasisPoints(slippageBps) : .none, commission: commission)
    }

    /// Field-level checks; throws a 422 naming the field.
    public func validate() throws { _ = try validated() }

    /// The request with its symbols normalised (trimmed, upper-cased, de-duplicated in order), after every
    /// field has been checked against its range (a 422 naming the field). Nothing past this can trap.
    public func validated() throws -> BacktestRequest {
        var request = self
        request.symbols = try Self.normalisedSymbols(symbols)
        try request.checkRanges()
        return request
    }

    static func normalisedSymbols(_ symbols: [String]) throws -> [String] {
        guard symbols.count <= 1000 else { throw ServiceError.invalid("symbols", "at most 1000 symbols") }
        var seen = Set<String>(), out: [String] = []
        for (index, raw) in symbols.enumerated() {
            let symbol = raw.trimmingCharacters(in: .whitespaces).uppercased()
            let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-^=_/")
            guard (1...20).contains(symbol.count), symbol.allSatisfy({ allowed.contains($0) }) else {
                throw ServiceError.invalid("symbols.\(index)", "symbols[\(index)] must be 1-20 characters of letters, digits or . - ^ = _ /")
            }
            if seen.insert(symbol).inserted { out.append(symbol) }
        }
        return out
    }

    private func checkRanges() throws {
        func finite(_ value: Double, _ range: ClosedRange<Double>, _ field: String) throws {
            guard value.isFinite, range.contains(value) else {
                throw ServiceError.invalid(field, "\(field) must be between \(range.lowerBound) and \(range.upperBound)")
            }
        }
        let known = Self.signalStrategies.union(Self.portfolioStrategies)
        guard known.contains(strategy) || (strategy.hasPrefix("model:") && Int(strategy.dropFirst("model:".count)).map { $0 > 0 } == true) else {
            throw ServiceError.invalid("strategy", "strategy must be one of \(known.sorted().joined(separator: ", ")) or model:N")
        }
        if csvPath == nil, symbols.isEmpty, !strategy.hasPrefix("model:") { throw ServiceError.invalid("symbols", "give symbols (stored bars) or a CSV path") }
        if strategy == Self.autonomous, benchmark == nil {
            throw ServiceError.invalid("benchmark", "the autonomous replay needs a benchmark: its regime drives the strategy choice (e.g. SPY)")
        }
        try finite(cash, 1...1e12, "cash")
        if Self.signalStrategies.contains(strategy) {
            _ = try FieldValidation.range(fast, 1...1000, field: "fast")
            guard slow > fast else { throw ServiceError.invalid("slow", "the crossover needs 0 < fast < slow") }
            _ = try FieldValidation.range(slow, 2...2000, field: "slow")
            guard shares > 0 else { throw ServiceError.invalid("shares", "shares must be positive") }
            try finite(shares, 0...1e9, "shares")
        }
        // Momentum skips the last 21 bars, so its look-back must reach further back than that.
        _ = try FieldValidation.range(lookback, (strategy == "momentum" ? 22 : 2)...2520, field: "lookback")
        _ = try FieldValidation.range(window, 2...2520, field: "window")
        if let rebalanceEvery { _ = try FieldValidation.range(rebalanceEvery, 1...2520, field: "rebalance_every") }
        guard (1...500).contains(maxPositions) else { throw ServiceError.invalid("max_positions", "max_positions must be 1 to 500") }
        guard maxWeight.isFinite, maxWeight > 0, maxWeight <= 1 else { throw ServiceError.invalid("max_weight", "max_weight must be above 0 and at most 1") }
        guard cashBuffer.isFinite, (0..<1).contains(cashBuffer) else { throw ServiceError.invalid("cash_buffer", "cash_buffer must be at least 0 and below 1") }
        try finite(slippageBps, 0...1000, "slippage_bps")
        if let commissionBps { try finite(commissionBps, 0...1000, "commission_bps") }
        if let commissionPerOrder { try finite(commissionPerOrder, 0...1000, "commission_per_order") }
        if let commissionPerShare { try finite(commissionPerShare, 0...10, "commission_per_share") }
        if let benchmark { _ = try Self.normalisedSymbols([benchmark]) }
        if let from, let to, from >= to { throw ServiceError.invalid("from", "from must be before to") }
        if tax {
            try finite(shortTermRate, 0...1, "short_term_rate")
            try finite(longTermRate, 0...1, "long_term_rate")
            guard !Self.signalStrategies.contains(strategy), strategy != Self.autonomous, goalType == nil else {
                throw ServiceError.invalid("strategy", "a tax replay needs a rebalancing portfolio strategy without a goal (momentum, breakout, mean-reversion, balanced, equal-weight, buy-and-hold or model:N)")
            }
        }
        if let driftTaxTolerance {
            guard tax else { throw ServiceError.invalid("drift_tax_tolerance", "drift_tax_tolerance sets a tax rule: it needs tax") }
            try finite(driftTaxTolerance, 0...1_000, "drift_tax_tolerance")
        }
        if allowWashSales == true, !tax {
            throw ServiceError.invalid("allow_wash_sales", "allow_wash_sales sets a tax rule: it needs tax")
        }
        if let taxDraws {
            guard tax else { throw ServiceError.invalid("tax_draws", "tax_draws compares the tax policies: it needs tax") }
            _ = try FieldValidation.range(taxDraws, 1...200, field: "tax_draws")
        }
        if let drawSize {
            guard taxDraws != nil else { throw ServiceError.invalid("draw_size", "draw_size sizes the tax_draws: give tax_draws too") }
            _ = try FieldValidation.range(drawSize, 2...500, field: "draw_size")
        }
        if goalType != nil || goalTarget != nil {
            let periodic: [GoalType] = [.monthlyReturn, .quarterlyReturn, .yearlyReturn]
            guard let type = goalType.flatMap(GoalType.init(rawValue:)), periodic.contains(type) else {
                throw ServiceError.invalid("goal_type", "goal_type must be one of \(periodic.map(\.rawValue).joined(separator: ", ")) for a replay")
            }
            _ = type
            guard let target = goalTarget, target.isFinite, target > 0, target <= 1000 else {
                throw ServiceError.invalid("goal_target", "goal_target is the percent target of each period, above 0 and at most 1000 (5 = +5%)")
            }
            guard !Self.signalStrategies.contains(strategy), strategy != "buy-and-hold", strategy != Self.autonomous else {
                throw ServiceError.invalid("strategy", "a goal replay needs a rebalancing portfolio strategy (momentum, breakout, mean-reversion, balanced, equal-weight or model:N)")
            }
        }
    }
}

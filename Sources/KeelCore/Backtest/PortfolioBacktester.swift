import Foundation

/// When a portfolio backtest rebalances.
public enum RebalanceSchedule: Sendable, Hashable, Codable {
    /// Once, at the first bar where the strategy has a view (buy and hold).
    case once
    case everyBars(Int)
    /// On the first bar of each calendar month.
    case monthly
}

/// Replays a portfolio strategy over many symbols: on rebalance bars the strategy's target weights go
/// through the live rebalance planner (same constraints, whole shares vs fractional crypto, dust, cash fit),
/// orders fill at the close or the next open with slippage and commission, and every bar is marked to
/// market. The per-bar loop only reads and writes preallocated columns.
public struct PortfolioBacktester: Sendable {
    public var execution: ExecutionModel
    public var initialCash: Double
    public var schedule: RebalanceSchedule
    public var constraints: PortfolioConstraints
    public var planner: RebalancePlanner.Settings
    /// Quantity rules per symbol (crypto lots); symbols not listed trade in whole shares unless crypto by name.
    public var instruments: [String: Instrument]
    /// Bars before the first rebalance, so strategies have history to look at.
    public var warmUp: Int
    /// Keep tax lots and taxes (and, for a tax-aware replay, apply the tax rules to each rebalance's targets).
    public var tax: TaxReplay? = nil

    public init(execution: ExecutionModel = ExecutionModel(), initialCash: Double = 100_000, schedule: RebalanceSchedule = .monthly,
                constraints: PortfolioConstraints = PortfolioConstraints(maxPositions: 10, maxWeight: 0.25, cashBuffer: 0.02),
                planner: RebalancePlanner.Settings = .init(minimumOrderNotional: 10, driftThreshold: 0, buyCostBuffer: 0.005),
                instruments: [String: Instrument] = [:], warmUp: Int = 63) {
        self.execution = execution
        self.initialCash = initialCash
        self.schedule = schedule
        self.constraints = constraints
        self.planner = planner
        self.instruments = instruments
        self.warmUp = warmUp
    }

    public struct Output: Sendable {
        public var result: BacktestResult
        /// The target weights of every rebalance, by bar time.
        public var targets: [(date: Date, weights: [String: Double])]
        /// The risk factor applied at every rebalance (1 without a sizing policy).
        public var factors: [(date: Date, factor: Double)]
        /// The lots' realised gains and taxes, when the replay kept them.
        public var tax: TaxReplay.Result? = nil
    }

    /// Throws only what `cancellation` throws (checked every 256 bars and at every rebalance).
    public func run(_ strategy: any PortfolioStrategy, market: AlignedMarket, cancellation: CancellationCheck = .never) throws -> Output {
        try run(strategy, market: market, sizing: ConstantSizing(), cancellation: cancellation)
    }

    /// Replays with a sizing policy: at each rebalance the policy sees the portfolio's value and returns a risk
    /// factor, applied to the strategy's targets by `GoalRiskScaling` exactly as the live rebalancer does.
    public func run<Sizing: RebalanceSizing>(_ strategy: any PortfolioStrategy, market: AlignedMarket, sizing: Sizing,
                                             cancellation: CancellationCheck = .never) throws -> Output {
        var sizing = sizing
        var factors: [(date: Date, factor: Double)] = []
        let n = market.count, symbols = market.symbols.count
        var equity = [Double](repeating: 0, count: n)
        var quantity = [Double](repeating: 0, count: symbols)
        var lastPrice = [Double](repeating: .nan, count: symbols)
        var lots = [LotBook](repeating: LotBook(), count: symbols)
        var trips: [RoundTrip] = []
        var cash = initialCash, fills = 0, commissions = 0.0, notional = 0.0, inMarket = 0
        var pending: [(symbol: Int, quantity: Double)] = []
        var targets: [(Date, [String: Double])] = []
        var rebalanced = false
        // The client's limits bind the orders as they bind live plans: no buy above the maximum weight or into the cash buffer.
        var plannerSettings = self.planner
        plannerSettings.maxWeight = min(plannerSettings.maxWeight, constraints.maxWeight)
        plannerSettings.cashBuffer = max(plannerSettings.cashBuffer, constraints.cashBuffer)
        let planner = RebalancePlanner(settings: plannerSettings)
        let index = Dictionary(market.symbols.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var taxBook = TaxLotBook()
        var taxFills = 0
        // Harvesting: the harvests in force, and the loss lots each pending harvest sale sells.
        var inForce: [TaxLossHarvesting.InForce] = []
        var chosenLots: [String: [String]] = [:]
        var harvestCount = 0
        // Purchases the tax rules deferred as wash sales, the names that took their weight meanwhile, and the
        // strategy's targets they go back to.
        var deferred: [String] = []
        var raisedForDeferred: Set<String> = []
        var standing: [String: Double] = [:]
        var catchUps = 0

        /// The fill on the tax lots (quantities as the engine holds them; a sale never exceeds what the lots hold).
        func postTax(_ s: Int, _ qty: Double, price: Double, fee: Double, at t: Int) {
            guard let tax else { return }
            taxFills += 1
            let symbol = market.symbols[s], day = CivilDay(market.timestamps[t])
            let quantity = Decimal(abs(qty)), unitPrice = Decimal(price), fees = Decimal(fee)
            if qty > 0 {
                _ = try? taxBook.buy(lotID: "f\(taxFills)", symbol: symbol, quantity: quantity, price: unitPrice, fees: fees, on: day)
            } else {
                let held = taxBook.held(symbol)
                guard held > 0 else { return }
                _ = try? taxBook.sell(saleID: "s\(taxFills)", symbol: symbol, quantity: min(quantity, held), price: unitPrice, fees: fees, on: day,
                                      method: chosenLots.removeValue(forKey: symbol).map(LotMethod.specific) ?? tax.settings.method,
                                      rates: tax.settings.rates)
            }
        }

        func fill(_ s: Int, _ wanted: Double, reference: Double, at t: Int) {
            guard wanted != 0, reference > 0, !reference.isNaN else { return }
            var qty = wanted
            var price = execution.slippage.price(reference: reference, quantity: qty, volume: market.volume[s][t])
            if qty > 0 {
                // Never spend cash that is not there: shrink a buy that slippage or fees made unaffordable.
                let fee = execution.commission.commission(quantity: qty, price: price)
                if qty * price + fee > cash {
                    let increment = (instruments[market.symbols[s]]?.quantityIncrement.doubleValue)
                        ?? (AssetClass.inferred(fromSymbol: market.symbols[s]).tradesFractionally ? 0.000001 : 1)
                    qty = ((max(cash - fee, 0) / price) / increment).flooredInline * increment
                    guard qty > 0 else { return }
                    price = execution.slippage.price(reference: reference, quantity: qty, volume: market.volume[s][t])
                }
            }
            let fee = execution.commission.commission(quantity: qty, price: price)
            cash -= qty * price + fee
            quantity[s] += qty
            fills += 1
            commissions += fee
            notional += abs(qty * price)
            lots[s].fill(symbol: market.symbols[s], quantity: qty, price: price, commission: fee, time: market.timestamps[t], into: &trips)
            postTax(s, qty, price: price, fee: fee, at: t)
        }

        /// The tax rules' settings for a plan on `day`: the account's maximum weight and the gains realised this year.
        func taxSettings(_ tax: TaxReplay, on day: CivilDay) -> TaxAwareRebalance.Settings {
            var settings = tax.settings
            settings.maxWeight = plannerSettings.maxWeight
            settings.realizedThisYear = taxBook.realized.reduce(Decimal(0)) { $0 + ($1.taxYear == day.components.year && $1.basisKnown ? $1.reportableGain : 0) }
            return settings
        }

        func snapshotNow() -> PortfolioSnapshot {
            var holdings: [Holding] = []
            var prices: [String: Decimal] = [:]
            for s in 0..<symbols {
                if !lastPrice[s].isNaN { prices[market.symbols[s]] = Decimal(exactly: lastPrice[s]) }
                if quantity[s] != 0 {
                    holdings.append(Holding(symbol: market.symbols[s], quantity: Decimal(exactly: quantity[s]), averageCost: 0))
                }
            }
            return PortfolioSnapshot(cash: Decimal(exactly: cash), holdings: holdings, prices: prices)
        }

        /// Orders fill at this bar's close or wait for the next open, as the execution model says.
        func place(_ orders: [PlannedOrder], at t: Int) {
            for order in orders {
                guard let s = index[order.symbol] else { continue }
                let signed = order.quantity.doubleValue * Double(order.side.sign)
                if execution.timing == .close {
                    fill(s, signed, reference: market.close[s][t], at: t)
                } else {
                    pending.append((s, signed))
                }
            }
        }

        for t in 0..<n {
            if t % 256 == 0 { try cancellation.checkpoint() }
            for s in 0..<symbols where !market.close[s][t].isNaN { lastPrice[s] = market.close[s][t] }
            // Orders from the last rebalance fill at this bar's open.
            if !pending.isEmpty {
                for order in pending { fill(order.symbol, order.quantity, reference: market.open[order.symbol][t], at: t) }
                pending.removeAll(keepingCapacity: true)
            }
            if t >= warmUp, t < n - 1, isRebalanceBar(t, market: market, done: rebalanced) {
                rebalanced = true
                try cancellation.checkpoint()
                let view = market.view(at: t)
                var value = cash
                for s in 0..<symbols where quantity[s] != 0 { value += quantity[s] * lastPrice[s] }
                let factor = sizing.factor(at: market.timestamps[t], value: value)
                factors.append((market.timestamps[t], factor))
                var weights = strategy.targetWeights(view, constraints: GoalRiskScaling.constraints(constraints, factor: factor))
                if factor != 1 {
                    var current: [String: Double] = [:]
                    for s in 0..<symbols where quantity[s] != 0 && value > 0 { current[market.symbols[s]] = quantity[s] * lastPrice[s] / value }
                    weights = GoalRiskScaling.weights(weights, factor: factor, current: current, constraints: constraints)
                }
                targets.append((market.timestamps[t], weights))
                let snapshot = snapshotNow()
                var harvested: [TaxLossHarvesting.Harvest] = []
                if let tax, tax.aware {
                    let day = CivilDay(market.timestamps[t])
                    let settings = taxSettings(tax, on: day)
                    var harvesting = tax.harvesting
                    if let listed = harvesting?.substitutes {
                        harvesting?.substitutes = substitutes(listed, book: taxBook, wanted: weights, held: quantity, market: market, index: index, at: t)
                    }
                    inForce.removeAll { taxBook.held($0.substitute) == 0 }
                    let planned = TaxPlan.targets(weights, snapshot: snapshot, book: taxBook, on: day, settings: settings, harvesting: harvesting,
                                                  inForce: inForce, harvestNew: true)
                    let harvestedNames = Set(planned.harvests.map(\.symbol) + inForce.map(\.original))
                    let substituteNames = Set(planned.harvests.map(\.substitute) + inForce.map(\.substitute))
                    deferred = weights.keys.filter { symbol in
                        (weights[symbol] ?? 0) > snapshot.weight(of: symbol) && (planned.targets[symbol] ?? 0) <= snapshot.weight(of: symbol)
                            && !harvestedNames.contains(symbol)
                    }.sorted()
                    raisedForDeferred = deferred.isEmpty ? [] : Set(planned.targets.keys.filter { symbol in
                        (planned.targets[symbol] ?? 0) > (weights[symbol] ?? 0) + 1e-12 && !substituteNames.contains(symbol)
                    })
                    standing = weights
                    weights = planned.targets
                    let goingBack = Set(planned.swapBacks.map(\.substitute))
                    inForce.removeAll { goingBack.contains($0.substitute) }
                    inForce += planned.harvests.map { .init(original: $0.symbol, substitute: $0.substitute, harvestedOn: day) }
                    chosenLots = planned.chosenLots
                    harvestCount += planned.harvests.count
                    harvested = planned.harvests
                }
                var orders = planner.plan(snapshot: snapshot, targets: weights, instruments: instruments).orders
                if !harvested.isEmpty { orders = TaxPlan.sellingHarvestsInFull(orders, harvests: harvested, snapshot: snapshot, targets: weights) }
                place(orders, at: t)
            } else if !deferred.isEmpty, t >= warmUp, t < n - 1, let tax, tax.aware {
                // A purchase held back as a wash sale is deferred, not dropped: on the first bar its window allows, the
                // deferred names and the names that took their weight go back to the last rebalance's targets (as the
                // daily cycle would buy it once the name's shortfall shows as drift); every other name stays as held.
                let day = CivilDay(market.timestamps[t])
                let released = deferred.filter { taxBook.lossReplaced(buying: $0, on: day) == nil }
                if !released.isEmpty {
                    try cancellation.checkpoint()
                    deferred.removeAll { released.contains($0) }
                    let snapshot = snapshotNow()
                    var catchUp: [String: Double] = [:]
                    for symbol in Set(snapshot.holdings.keys).union(standing.keys) { catchUp[symbol] = snapshot.weight(of: symbol) }
                    for symbol in released { catchUp[symbol] = standing[symbol] ?? 0 }
                    if deferred.isEmpty {
                        for symbol in raisedForDeferred { catchUp[symbol] = standing[symbol] ?? 0 }
                        raisedForDeferred = []
                    }
                    let ruled = TaxAwareRebalance.adjust(targets: catchUp, snapshot: snapshot, book: taxBook, on: day, settings: taxSettings(tax, on: day))
                    chosenLots = ruled.chosenLots
                    catchUps += released.count
                    place(planner.plan(snapshot: snapshot, targets: ruled.targets, instruments: instruments).orders, at: t)
                }
            }
            var value = cash
            var invested = false
            for s in 0..<symbols where quantity[s] != 0 {
                value += quantity[s] * lastPrice[s]
                invested = true
            }
            if invested { inMarket += 1 }
            equity[t] = value
        }
        let result = BacktestResult(timestamps: market.timestamps, equity: equity, trades: trips, fills: fills, commissions: commissions,
                                    tradedNotional: notional, barsInMarket: inMarket, initialCash: initialCash)
        var output = Output(result: result, targets: targets.map { (date: $0.0, weights: $0.1) }, factors: factors)
        if let tax, n > 0 {
            var prices: [String: Double] = [:]
            for s in 0..<symbols where !lastPrice[s].isNaN { prices[market.symbols[s]] = lastPrice[s] }
            var yearEnd: [Int: Double] = [:]
            for t in 0..<n { yearEnd[CivilDay(market.timestamps[t]).components.year] = equity[t] }
            output.tax = tax.result(book: taxBook, finalEquity: equity[n - 1], lastPrices: prices, lastDay: CivilDay(market.timestamps[n - 1]),
                                    yearEndEquity: yearEnd)
            if tax.aware && tax.harvesting != nil { output.tax?.harvests = harvestCount }
            if tax.aware { output.tax?.deferredPurchases = catchUps }
        }
        return output
    }

    /// The listed substitutes, and for each other name with an unrealised loss in the lots its most correlated name
    /// among those neither held nor wanted (so a harvest never doubles up a position).
    func substitutes(_ listed: [String: String], book: TaxLotBook, wanted: [String: Double], held: [Double], market: AlignedMarket,
                     index: [String: Int], at t: Int) -> [String: String] {
        var pairs = listed
        let free = market.symbols.indices.filter { held[$0] == 0 && (wanted[market.symbols[$0]] ?? 0) == 0 && !market.close[$0][t].isNaN }
        for symbol in Set(book.lots.map(\.symbol)).sorted() where pairs[symbol] == nil {
            guard let s = index[symbol], !market.close[s][t].isNaN,
                  book.lots.contains(where: { $0.symbol == symbol && $0.basisKnown && Decimal(market.close[s][t]) < $0.basisPerShare }),
                  let partner = SubstitutePairing.mostCorrelated(s, among: free, market: market, at: t) else { continue }
            pairs[symbol] = market.symbols[partner]
        }
        return pairs
    }

    func isRebalanceBar(_ t: Int, market: AlignedMarket, done: Bool) -> Bool {
        switch schedule {
        case .once: return !done
        case .everyBars(let every): return (t - warmUp) % max(every, 1) == 0
        case .monthly:
            guard t > 0 else { return true }
            return CivilDay(market.timestamps[t]).components.month != CivilDay(market.timestamps[t - 1]).components.month || !done
        }
    }
}

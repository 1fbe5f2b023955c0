import Foundation

/// The result of a backtest: the equity curve, the round trips and the fill statistics.
public struct BacktestResult: Sendable {
    public var timestamps: [Date]
    /// Equity (cash plus positions at the close) after every bar.
    public var equity: [Double]
    public var trades: [RoundTrip]
    /// Number of fills (an entry and an exit are two).
    public var fills: Int
    public var commissions: Double
    /// Sum of |quantity x price| over all fills.
    public var tradedNotional: Double
    /// Bars that ended with a position open.
    public var barsInMarket: Int
    public var initialCash: Double

    public var finalEquity: Double { equity.last ?? initialCash }

    @inlinable
    public init(timestamps: [Date], equity: [Double], trades: [RoundTrip], fills: Int, commissions: Double, tradedNotional: Double,
                barsInMarket: Int, initialCash: Double) {
        self.timestamps = timestamps
        self.equity = equity
        self.trades = trades
        self.fills = fills
        self.commissions = commissions
        self.tradedNotional = tradedNotional
        self.barsInMarket = barsInMarket
        self.initialCash = initialCash
    }
}

/// Replays one symbol bar by bar through a strategy: orders, fills (close or next open, market/limit/stop),
/// slippage, commission, cash and position, lots and round trips, and the equity curve. Generic over the
/// strategy, so the compiler specialises the loop; nothing is allocated per bar.
public struct SignalBacktester: Sendable {
    public var execution: ExecutionModel
    public var initialCash: Double

    public init(execution: ExecutionModel = ExecutionModel(), initialCash: Double = 1_000_000) {
        self.execution = execution
        self.initialCash = initialCash
    }

    /// A fill as the loop records it: by its bar, not its time. The lots and round trips are built after the loop, so
    /// a fill in the loop touches no timestamp, volume or symbol (cold cache lines that cost more than the rest of the
    /// bar).
    @usableFromInline
    typealias Fill = (bar: Int, quantity: Double, price: Double, fee: Double)

    /// The account while a run is in progress: plain numbers, a local value the loop keeps in registers (the fills
    /// go to a ledger beside it, so appending one does not pin the account to memory).
    @usableFromInline
    struct Account {
        @usableFromInline var cash: Double
        @usableFromInline var position = 0.0
        @usableFromInline var fills = 0
        @usableFromInline var commissions = 0.0
        @usableFromInline var notional = 0.0
        @usableFromInline var inMarket = 0

        @inlinable init(cash: Double) { self.cash = cash }

        @inlinable @inline(__always)
        mutating func fill(_ quantity: Double, reference: Double, volume: Double, bar: Int, execution: ExecutionModel, into ledger: inout [Fill]) {
            let price = execution.slippage.price(reference: reference, quantity: quantity, volume: volume)
            let fee = execution.commission.commission(quantity: quantity, price: price)
            cash -= quantity * price + fee
            position += quantity
            fills += 1
            commissions += fee
            notional += abs(quantity * price)
            ledger.append((bar, quantity, price, fee))
        }
    }

    /// The round trips of the recorded fills, in bar order.
    @inlinable
    static func trips(_ ledger: [Fill], symbol: String, timestamps: [Date]) -> [RoundTrip] {
        // The fills' times first, in one pass of independent loads (their cache misses overlap).
        let times = ledger.map { timestamps[$0.bar] }
        var lots = LotBook()
        var trips: [RoundTrip] = []
        trips.reserveCapacity(ledger.count / 2 + 1)
        for (fill, time) in zip(ledger, times) {
            lots.fill(symbol: symbol, quantity: fill.quantity, price: fill.price, commission: fill.fee, time: time, into: &trips)
        }
        return trips
    }

    /// With `recordEquity` false only the final equity is kept (the curve holds one value), and `statistics`
    /// gathers what the return metrics need on the fly: for sweeps, which need metrics but not curves.
    // Inlinable so the caller's module specialises it for its strategy: the per-bar call is then direct.
    @inlinable
    public func run<S: SignalStrategy>(_ strategy: inout S, series: BarSeries, recordEquity: Bool = true,
                                       statistics: UnsafeMutablePointer<StreamingReturnStatistics>? = nil) -> BacktestResult {
        let n = series.count
        // Every element is written by the loop; skipping the zero fill saves a pass over the memory.
        var equity = [Double](unsafeUninitializedCapacity: recordEquity ? n : 1) { _, count in count = recordEquity ? n : 1 }
        let execution = self.execution
        let fillAtClose = execution.timing == .close
        let symbol = series.symbol
        let timestamps = series.timestamps
        var account = Account(cash: initialCash)
        var ledger: [Fill] = []
        let readsVolume = execution.slippage.readsVolume

        series.open.withUnsafeBufferPointer { open in
        series.high.withUnsafeBufferPointer { high in
        series.low.withUnsafeBufferPointer { low in
        series.close.withUnsafeBufferPointer { close in
        series.volume.withUnsafeBufferPointer { volume in
        equity.withUnsafeMutableBufferPointer { curve in
            var state = account
            var working: (type: BacktestOrderType, quantity: Double)?
            for t in 0..<n {
                // Orders from earlier bars meet this bar first: at its open, or inside its range.
                if let order = working {
                    if let reference = order.type.fillPrice(quantity: order.quantity, reference: open[t], open: open[t], high: high[t], low: low[t]) {
                        state.fill(order.quantity, reference: reference, volume: readsVolume ? volume[t] : 0, bar: t, execution: execution, into: &ledger)
                        working = nil
                    }
                }
                let decision = strategy.decide(BarWindow(current: t, open: open, high: high, low: low, close: close, volume: volume))
                // No new orders on the last bar: nothing could fill them inside the data.
                if t < n - 1 {
                    switch decision {
                    case .hold:
                        break
                    case .target(let target):
                        if target != state.position {
                            if fillAtClose {
                                working = nil
                                state.fill(target - state.position, reference: close[t], volume: readsVolume ? volume[t] : 0, bar: t, execution: execution, into: &ledger)
                            } else if working == nil || working!.quantity != target - state.position {
                                working = (.market, target - state.position)
                            }
                        } else if working != nil {
                            working = nil
                        }
                    case .order(let type, let quantity):
                        if quantity == 0 {
                            working = nil
                        } else if case .market = type, fillAtClose {
                            working = nil
                            state.fill(quantity, reference: close[t], volume: readsVolume ? volume[t] : 0, bar: t, execution: execution, into: &ledger)
                        } else {
                            working = (type, quantity)
                        }
                    }
                }
                if state.position != 0 { state.inMarket += 1 }
                let value = state.cash + state.position * close[t]
                if recordEquity { curve[t] = value } else if t == n - 1 { curve[0] = value }
                statistics?.pointee.add(value)
            }
            account = state
        }}}}}}
        return BacktestResult(timestamps: timestamps, equity: equity, trades: Self.trips(ledger, symbol: symbol, timestamps: timestamps), fills: account.fills, commissions: account.commissions,
                              tradedNotional: account.notional, barsInMarket: account.inMarket, initialCash: initialCash)
    }
}

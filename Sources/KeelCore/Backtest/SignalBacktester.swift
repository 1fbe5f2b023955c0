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

    /// With `recordEquity` false only the final equity is kept (the curve holds one value), and `statistics`
    /// gathers what the return metrics need on the fly: for sweeps, which need metrics but not curves.
    // Inlinable so the caller's module specialises it for its strategy: the per-bar call is then direct.
    @inlinable
    public func run<S: SignalStrategy>(_ strategy: inout S, series: BarSeries, recordEquity: Bool = true,
                                       statistics: UnsafeMutablePointer<StreamingReturnStatistics>? = nil) -> BacktestResult {
        let n = series.count
        // Every element is written by the loop; skipping the zero fill saves a pass over the memory.
        var equity = [Double](unsafeUninitializedCapacity: recordEquity ? n : 1) { _, count in count = recordEquity ? n : 1 }
        var trips: [RoundTrip] = []
        trips.reserveCapacity(64)
        var lots = LotBook()
        var cash = initialCash, position = 0.0, fills = 0, commissions = 0.0, notional = 0.0, inMarket = 0
        var working: (type: BacktestOrderType, quantity: Double)?
        let execution = self.execution
        let fillAtClose = execution.timing == .close
        let symbol = series.symbol
        let timestamps = series.timestamps

        series.open.withUnsafeBufferPointer { open in
        series.high.withUnsafeBufferPointer { high in
        series.low.withUnsafeBufferPointer { low in
        series.close.withUnsafeBufferPointer { close in
        series.volume.withUnsafeBufferPointer { volume in
        equity.withUnsafeMutableBufferPointer { curve in
            @inline(__always) func fill(_ quantity: Double, reference: Double, at t: Int) {
                let price = execution.slippage.price(reference: reference, quantity: quantity, volume: volume[t])
                let fee = execution.commission.commission(quantity: quantity, price: price)
                cash -= quantity * price + fee
                position += quantity
                fills += 1
                commissions += fee
                notional += abs(quantity * price)
                lots.fill(symbol: symbol, quantity: quantity, price: price, commission: fee, time: timestamps[t], into: &trips)
            }
            for t in 0..<n {
                // Orders from earlier bars meet this bar first: at its open, or inside its range.
                if let order = working {
                    if let reference = order.type.fillPrice(quantity: order.quantity, reference: open[t], open: open[t], high: high[t], low: low[t]) {
                        fill(order.quantity, reference: reference, at: t)
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
                        let change = target - position - (working?.quantity ?? 0)
                        if target != position {
                            if fillAtClose {
                                working = nil
                                fill(target - position, reference: close[t], at: t)
                            } else if change != 0 || working == nil {
                                working = (.market, target - position)
                            }
                        } else {
                            working = nil
                        }
                    case .order(let type, let quantity):
                        if quantity == 0 {
                            working = nil
                        } else if case .market = type, fillAtClose {
                            working = nil
                            fill(quantity, reference: close[t], at: t)
                        } else {
                            working = (type, quantity)
                        }
                    }
                }
                if position != 0 { inMarket += 1 }
                let value = cash + position * close[t]
                if recordEquity { curve[t] = value } else if t == n - 1 { curve[0] = value }
                statistics?.pointee.add(value)
            }
        }}}}}}
        return BacktestResult(timestamps: timestamps, equity: equity, trades: trips, fills: fills, commissions: commissions,
                              tradedNotional: notional, barsInMarket: inMarket, initialCash: initialCash)
    }
}

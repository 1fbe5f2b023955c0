import Foundation
import Synchronization

/// The result of a backtest: the equity curve, the round trips and the fill statistics.
public struct BacktestResult: Sendable {
    public var timestamps: [Date]
    /// Equity (cash plus positions at the close) after every bar.
    public var equity: [Double]
    /// The round trips, paired from the fills by lot on first read (a sweep that ranks by equity never pays for them).
    public var trades: [RoundTrip] {
        get { roundTrips.value }
        set { roundTrips = RoundTripsOnRead(newValue) }
    }
    @usableFromInline var roundTrips: RoundTripsOnRead
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
        self.init(timestamps: timestamps, equity: equity, roundTrips: RoundTripsOnRead(trades), fills: fills, commissions: commissions,
                  tradedNotional: tradedNotional, barsInMarket: barsInMarket, initialCash: initialCash)
    }

    @inlinable
    init(timestamps: [Date], equity: [Double], roundTrips: RoundTripsOnRead, fills: Int, commissions: Double, tradedNotional: Double,
         barsInMarket: Int, initialCash: Double) {
        self.timestamps = timestamps
        self.equity = equity
        self.roundTrips = roundTrips
        self.fills = fills
        self.commissions = commissions
        self.tradedNotional = tradedNotional
        self.barsInMarket = barsInMarket
        self.initialCash = initialCash
    }
}

/// Round trips kept as the recorded fills until first read, then paired once (thread-safe: a result may be shared).
@usableFromInline
final class RoundTripsOnRead: Sendable {
    @usableFromInline
    enum State: Sendable {
        case paired([RoundTrip])
        case fills(ledger: [SignalBacktester.Fill], symbol: String, timestamps: [Date])
    }

    let state: Mutex<State>

    @usableFromInline init(_ trips: [RoundTrip]) { state = Mutex(.paired(trips)) }

    @usableFromInline init(ledger: [SignalBacktester.Fill], symbol: String, timestamps: [Date]) {
        state = Mutex(.fills(ledger: ledger, symbol: symbol, timestamps: timestamps))
    }

    @usableFromInline var value: [RoundTrip] {
        state.withLock { state in
            switch state {
            case .paired(let trips):
                return trips
            case .fills(let ledger, let symbol, let timestamps):
                let trips = SignalBacktester.trips(ledger, symbol: symbol, timestamps: timestamps)
                state = .paired(trips)
                return trips
            }
        }
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
        let symbol = series.symbol
        let timestamps = series.timestamps
        var account = Account(cash: initialCash)
        var ledger: [Fill] = []

        series.open.withUnsafeBufferPointer { open in
        series.high.withUnsafeBufferPointer { high in
        series.low.withUnsafeBufferPointer { low in
        series.close.withUnsafeBufferPointer { close in
        series.volume.withUnsafeBufferPointer { volume in
        equity.withUnsafeMutableBufferPointer { curve in
            let bars = Bars(open: open, high: high, low: low, close: close, volume: volume)
            // One loop per way of keeping the equity, chosen once here, so each is specialised whether or not the
            // caller inlines `run` (a per-bar test of `statistics` and `recordEquity` cost a third of the bar).
            switch (statistics, recordEquity) {
            case (nil, true):
                var sink = CurveSink(curve: curve)
                account = replay(&strategy, bars: bars, count: n, account: account, ledger: &ledger, sink: &sink)
            case (nil, false):
                var sink = FinalSink(curve: curve)
                account = replay(&strategy, bars: bars, count: n, account: account, ledger: &ledger, sink: &sink)
            case (let statistics?, true):
                var sink = StatisticsSink(inner: CurveSink(curve: curve), chunk: StatisticsChunk(statistics: statistics.pointee))
                account = replay(&strategy, bars: bars, count: n, account: account, ledger: &ledger, sink: &sink)
                statistics.pointee = sink.chunk.finish()
            case (let statistics?, false):
                var sink = StatisticsSink(inner: FinalSink(curve: curve), chunk: StatisticsChunk(statistics: statistics.pointee))
                account = replay(&strategy, bars: bars, count: n, account: account, ledger: &ledger, sink: &sink)
                statistics.pointee = sink.chunk.finish()
            }
        }}}}}}
        return BacktestResult(timestamps: timestamps, equity: equity, roundTrips: RoundTripsOnRead(ledger: ledger, symbol: symbol, timestamps: timestamps),
                              fills: account.fills, commissions: account.commissions, tradedNotional: account.notional, barsInMarket: account.inMarket,
                              initialCash: initialCash)
    }

    /// The bar columns of a run.
    @usableFromInline
    struct Bars {
        @usableFromInline let open, high, low, close, volume: UnsafeBufferPointer<Double>

        @inlinable init(open: UnsafeBufferPointer<Double>, high: UnsafeBufferPointer<Double>, low: UnsafeBufferPointer<Double>,
                        close: UnsafeBufferPointer<Double>, volume: UnsafeBufferPointer<Double>) {
            self.open = open
            self.high = high
            self.low = low
            self.close = close
            self.volume = volume
        }
    }

    /// The bar loop: orders, fills, the account, and each bar's equity handed to `sink`.
    @inlinable @inline(__always)
    func replay<S: SignalStrategy, Sink: EquitySink>(_ strategy: inout S, bars: Bars, count n: Int, account: Account, ledger: inout [Fill],
                                                    sink: inout Sink) -> Account {
        let execution = self.execution
        let fillAtClose = execution.timing == .close
        let readsVolume = execution.slippage.readsVolume
        let (open, high, low, close, volume) = (bars.open, bars.high, bars.low, bars.close, bars.volume)
        var state = account
        // The sink as a local value, handed back at the end (a statistics sink's totals come back through it).
        var equitySink = sink
        defer { sink = equitySink }
        // The strategy as a local value for the loop: its running sums stay in registers instead of being stored
        // and reloaded through the caller's reference on every bar.
        var local = strategy
        defer { strategy = local }
        var working: (type: BacktestOrderType, quantity: Double)?
        for t in 0..<n {
            // Orders from earlier bars meet this bar first: at its open, or inside its range.
            if let order = working {
                if let reference = order.type.fillPrice(quantity: order.quantity, reference: open[t], open: open[t], high: high[t], low: low[t]) {
                    state.fill(order.quantity, reference: reference, volume: readsVolume ? volume[t] : 0, bar: t, execution: execution, into: &ledger)
                    working = nil
                }
            }
            let decision = local.decide(BarWindow(current: t, open: open, high: high, low: low, close: close, volume: volume))
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
            // Counted without a branch: whether a position is open flips with the signal, which no predictor guesses.
            state.inMarket &+= state.position != 0 ? 1 : 0
            equitySink.record(state.cash + state.position * close[t], at: t, last: t == n - 1)
        }
        return state
    }
}

/// Where a run's loop puts each bar's equity.
@usableFromInline
protocol EquitySink {
    mutating func record(_ value: Double, at t: Int, last: Bool)
}

/// The whole curve.
@usableFromInline
struct CurveSink: EquitySink {
    @usableFromInline let curve: UnsafeMutableBufferPointer<Double>
    @inlinable init(curve: UnsafeMutableBufferPointer<Double>) { self.curve = curve }
    @inlinable @inline(__always) func record(_ value: Double, at t: Int, last: Bool) { curve[t] = value }
}

/// Only the final equity (in the curve's one element).
@usableFromInline
struct FinalSink: EquitySink {
    @usableFromInline let curve: UnsafeMutableBufferPointer<Double>
    @inlinable init(curve: UnsafeMutableBufferPointer<Double>) { self.curve = curve }
    @inlinable @inline(__always) func record(_ value: Double, at t: Int, last: Bool) { if last { curve[0] = value } }
}

/// Another sink, with the return statistics gathered on the way.
@usableFromInline
struct StatisticsSink<Inner: EquitySink>: EquitySink {
    @usableFromInline var inner: Inner
    @usableFromInline var chunk: StatisticsChunk
    @inlinable init(inner: Inner, chunk: StatisticsChunk) {
        self.inner = inner
        self.chunk = chunk
    }
    @inlinable @inline(__always) mutating func record(_ value: Double, at t: Int, last: Bool) {
        inner.record(value, at: t, last: last)
        chunk.record(value, at: t, last: last)
    }
}

/// The bars' equity buffered for the return statistics and added a chunk at a time: the run's loop stores one value
/// per bar instead of carrying the statistics' seven running values, which do not fit in its registers beside its own.
@usableFromInline
struct StatisticsChunk {
    /// A power of two, so the slot of bar `t` is a mask; 4 KB, inside the first-level cache.
    @usableFromInline static let capacity = 512
    @usableFromInline var statistics: StreamingReturnStatistics
    @usableFromInline let pending: UnsafeMutablePointer<Double>

    @inlinable init(statistics: StreamingReturnStatistics) {
        self.statistics = statistics
        pending = .allocate(capacity: Self.capacity)
    }

    /// The statistics, with the buffer released.
    @inlinable mutating func finish() -> StreamingReturnStatistics {
        pending.deallocate()
        return statistics
    }

    /// Bars arrive in order from 0: bar `t` fills slot `t mod capacity`, and a full chunk or the last bar is added.
    @inlinable @inline(__always) mutating func record(_ value: Double, at t: Int, last: Bool) {
        let slot = t & (Self.capacity - 1)
        pending[slot] = value
        if slot == Self.capacity - 1 || last {
            statistics.add(contentsOf: UnsafeBufferPointer(start: pending, count: slot + 1))
        }
    }
}

/// What a strategy sees of the bars: everything up to the current bar, nothing after it. Reading a later
/// bar yields NaN, so a strategy cannot act on the future even by mistake.
public struct BarWindow {
    public let current: Int
    @usableFromInline let open: UnsafeBufferPointer<Double>
    @usableFromInline let high: UnsafeBufferPointer<Double>
    @usableFromInline let low: UnsafeBufferPointer<Double>
    @usableFromInline let close: UnsafeBufferPointer<Double>
    @usableFromInline let volume: UnsafeBufferPointer<Double>

    @inlinable
    init(current: Int, open: UnsafeBufferPointer<Double>, high: UnsafeBufferPointer<Double>, low: UnsafeBufferPointer<Double>,
         close: UnsafeBufferPointer<Double>, volume: UnsafeBufferPointer<Double>) {
        self.current = current
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }

    @inlinable @inline(__always) public func open(_ i: Int) -> Double { i <= current && i >= 0 ? open[i] : .nan }
    @inlinable @inline(__always) public func high(_ i: Int) -> Double { i <= current && i >= 0 ? high[i] : .nan }
    @inlinable @inline(__always) public func low(_ i: Int) -> Double { i <= current && i >= 0 ? low[i] : .nan }
    @inlinable @inline(__always) public func close(_ i: Int) -> Double { i <= current && i >= 0 ? close[i] : .nan }
    @inlinable @inline(__always) public func volume(_ i: Int) -> Double { i <= current && i >= 0 ? volume[i] : .nan }

    /// The close `lag` bars ago, for KeelCore's own strategies where `1 <= lag <= current` is already established
    /// (the per-bar window checks are then two compares and branches on the hot path, a third of its work).
    @inlinable @inline(__always) func close(lagging lag: Int) -> Double { close[current &- lag] }
}

/// What a single-symbol strategy wants after seeing a bar.
public enum SignalDecision: Sendable, Hashable {
    /// Keep the position and any working order.
    case hold
    /// Reach this position (in units; negative is short) with a market order.
    case target(Double)
    /// Send this order (signed quantity), replacing any working one.
    case order(BacktestOrderType, quantity: Double)
}

/// A strategy that trades one symbol bar by bar. Called once per bar, in order; keeps its own running state
/// so a whole backtest stays O(n).
public protocol SignalStrategy {
    mutating func decide(_ bars: BarWindow) -> SignalDecision
}

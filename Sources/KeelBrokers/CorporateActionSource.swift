import Foundation
import KeelCore

/// Where the paper broker learns of splits, as a real broker learns them from the exchange: its books scale a
/// symbol's shares at the split's ex-date like any broker's.
public protocol CorporateActionSource: Sendable {
    /// Every split whose ex-date has begun by `date`, any symbol.
    func splits(effectiveBy date: Date) async throws -> [StockSplit]
}

/// A market without corporate actions (tests and the in-memory broker).
public struct NoCorporateActions: CorporateActionSource {
    public init() {}

    public func splits(effectiveBy date: Date) async throws -> [StockSplit] { [] }
}

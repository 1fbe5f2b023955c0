import Foundation

/// A round-trip trade as a caller records it: open (no exit price) or already closed.
public struct TradeInput: Sendable {
    public var userID: String?
    public var strategyID: String?
    public var symbol: String?
    /// LONG or SHORT.
    public var side: String?
    /// Whole shares for equities; fractional (up to 8 decimals) for crypto such as 0.02 BTCUSDT.
    public var quantity: Decimal?
    public var entryPrice: Decimal?
    public var exitPrice: Decimal?
    public var fees: Decimal?
    public var entryTime: String?
    public var exitTime: String?
    public var clientID: Int?
    public var accountHash: String?

    public init(userID: String? = nil, strategyID: String? = nil, symbol: String? = nil, side: String? = nil, quantity: Decimal? = nil,
                entryPrice: Decimal? = nil, exitPrice: Decimal? = nil, fees: Decimal? = nil, entryTime: String? = nil, exitTime: String? = nil,
                clientID: Int? = nil, accountHash: String? = nil) {
        self.userID = userID
        self.strategyID = strategyID
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.entryPrice = entryPrice
        self.exitPrice = exitPrice
        self.fees = fees
        self.entryTime = entryTime
        self.exitTime = exitTime
        self.clientID = clientID
        self.accountHash = accountHash
    }
}

/// A strategy instance as a caller creates it.
public struct StrategyInstanceInput: Sendable {
    public var userID: String?
    public var strategyType: String?
    public var name: String?
    /// JSON object text of the strategy's parameters.
    public var parameters: String?

    public init(userID: String? = nil, strategyType: String? = nil, name: String? = nil, parameters: String? = nil) {
        self.userID = userID
        self.strategyType = strategyType
        self.name = name
        self.parameters = parameters
    }
}

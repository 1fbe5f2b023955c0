import Foundation
import KeelCore

public struct PositionRecord: Sendable, Hashable {
    public var accountHash: String
    public var clientID: Int
    public var userID: String?
    public var symbol: String
    public var quantity: Decimal
    public var averageCost: Decimal
    public var openedAt: Date
    public var updatedAt: Date

    public init(accountHash: String, clientID: Int, userID: String?, symbol: String, quantity: Decimal, averageCost: Decimal,
                openedAt: Date, updatedAt: Date) {
        self.accountHash = accountHash
        self.clientID = clientID
        self.userID = userID
        self.symbol = symbol
        self.quantity = quantity
        self.averageCost = averageCost
        self.openedAt = openedAt
        self.updatedAt = updatedAt
    }

    public var holding: Holding { Holding(symbol: symbol, quantity: quantity, averageCost: averageCost) }
}

public struct FillRecord: Sendable, Hashable {
    public var fillID: String
    public var orderID: String
    public var accountHash: String
    public var symbol: String
    public var side: OrderSide
    public var quantity: Decimal
    public var price: Decimal
    public var commission: Decimal
    public var filledAt: Date
    public var recordedAt: Date

    public init(fillID: String, orderID: String, accountHash: String, symbol: String, side: OrderSide, quantity: Decimal,
                price: Decimal, commission: Decimal, filledAt: Date, recordedAt: Date) {
        self.fillID = fillID
        self.orderID = orderID
        self.accountHash = accountHash
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.price = price
        self.commission = commission
        self.filledAt = filledAt
        self.recordedAt = recordedAt
    }
}

public enum TradeStatus: String, Sendable, Codable, CaseIterable { case open, closed }

/// A round trip's direction: LONG profits when the price rises, SHORT when it falls.
public enum TradeSide: String, Sendable, Codable, CaseIterable {
    case long = "LONG", short = "SHORT"
}

public struct TradeRecord: Sendable, Hashable {
    public var tradeID: String
    public var userID: String
    public var strategyID: String?
    public var clientID: Int?
    public var accountHash: String?
    public var symbol: String
    /// `long`: Keel holds no short positions.
    public var side: String
    public var quantity: Decimal
    public var entryPrice: Decimal
    public var exitPrice: Decimal?
    public var profitLoss: Decimal?
    public var fees: Decimal
    public var status: TradeStatus
    public var entryTime: Date
    public var exitTime: Date?
    public var entryOrderID: String?
    public var exitOrderID: String?

    public init(tradeID: String, userID: String, strategyID: String?, clientID: Int?, accountHash: String?, symbol: String, side: String,
                quantity: Decimal, entryPrice: Decimal, exitPrice: Decimal? = nil, profitLoss: Decimal? = nil, fees: Decimal,
                status: TradeStatus, entryTime: Date, exitTime: Date? = nil, entryOrderID: String?, exitOrderID: String? = nil) {
        self.tradeID = tradeID
        self.userID = userID
        self.strategyID = strategyID
        self.clientID = clientID
        self.accountHash = accountHash
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.entryPrice = entryPrice
        self.exitPrice = exitPrice
        self.profitLoss = profitLoss
        self.fees = fees
        self.status = status
        self.entryTime = entryTime
        self.exitTime = exitTime
        self.entryOrderID = entryOrderID
        self.exitOrderID = exitOrderID
    }
}

import Foundation
import KeelCore

public struct BrokerOrderRequest: Sendable, Hashable, Codable {
    public enum OrderType: String, Sendable, Codable { case market, limit }

    public var accountID: String
    public var clientOrderKey: String
    public var symbol: String
    public var side: OrderSide
    public var quantity: Decimal
    public var orderType: OrderType
    public var limitPrice: Decimal?

    public init(accountID: String, clientOrderKey: String, symbol: String, side: OrderSide, quantity: Decimal,
                orderType: OrderType = .market, limitPrice: Decimal? = nil) {
        self.accountID = accountID
        self.clientOrderKey = clientOrderKey
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.orderType = orderType
        self.limitPrice = limitPrice
    }
}

public enum BrokerOrderStatus: String, Sendable, Codable {
    case accepted, working, filled
    case partiallyFilled = "partially_filled"
    case rejected, cancelled

    /// No further fills can come.
    public var isFinal: Bool { self == .filled || self == .rejected || self == .cancelled }
}

public struct BrokerFill: Sendable, Hashable, Codable {
    public var fillID: String
    public var clientOrderKey: String
    public var symbol: String
    public var side: OrderSide
    public var quantity: Decimal
    public var price: Decimal
    public var commission: Decimal
    public var time: Date

    public init(fillID: String, clientOrderKey: String, symbol: String, side: OrderSide, quantity: Decimal, price: Decimal, commission: Decimal, time: Date) {
        self.fillID = fillID
        self.clientOrderKey = clientOrderKey
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.price = price
        self.commission = commission
        self.time = time
    }
}

public struct BrokerOrder: Sendable, Hashable, Codable {
    public var brokerOrderID: String
    public var clientOrderKey: String
    public var symbol: String
    public var side: OrderSide
    public var quantity: Decimal
    public var status: BrokerOrderStatus
    public var fills: [BrokerFill]
    public var rejectReason: String?
    public var createdAt: Date
    /// Market unless a limit order (nil: market).
    public var orderType: BrokerOrderRequest.OrderType?
    public var limitPrice: Decimal?

    public init(brokerOrderID: String, clientOrderKey: String, symbol: String, side: OrderSide, quantity: Decimal,
                status: BrokerOrderStatus, fills: [BrokerFill], rejectReason: String? = nil, createdAt: Date,
                orderType: BrokerOrderRequest.OrderType? = nil, limitPrice: Decimal? = nil) {
        self.orderType = orderType
        self.limitPrice = limitPrice
        self.brokerOrderID = brokerOrderID
        self.clientOrderKey = clientOrderKey
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.status = status
        self.fills = fills
        self.rejectReason = rejectReason
        self.createdAt = createdAt
    }

    public var filledQuantity: Decimal { fills.reduce(0) { $0 + $1.quantity } }

    public var averageFillPrice: Decimal? {
        let quantity = filledQuantity
        guard quantity > 0 else { return nil }
        return (fills.reduce(Decimal(0)) { $0 + $1.quantity * $1.price } / quantity).rounded(scale: 6)
    }
}

public struct BrokerAccountSnapshot: Sendable, Hashable, Codable {
    public var accountID: String
    public var cash: Decimal
    /// What the broker holds, as Keel's own `Holding` (symbol, quantity, average cost).
    public var positions: [Holding]

    public init(accountID: String, cash: Decimal, positions: [Holding]) {
        self.accountID = accountID
        self.cash = cash
        self.positions = positions
    }
}

public struct BrokerQuote: Sendable, Hashable, Codable {
    public var symbol: String
    public var last: Decimal
    public var time: Date
    /// The latest bar's volume, when known: the paper broker fills at most a share of it per bar.
    public var volume: Decimal?
    /// Decides the market hours the paper broker keeps (inferred from the symbol when nil).
    public var assetClass: AssetClass?

    public init(symbol: String, last: Decimal, time: Date, volume: Decimal? = nil, assetClass: AssetClass? = nil) {
        self.symbol = symbol
        self.last = last
        self.time = time
        self.volume = volume
        self.assetClass = assetClass
    }
}

/// Broker failures, split by what Keel may do next.
public enum BrokerError: Error, Sendable, Equatable {
    /// The broker may or may not have acted (timeout, 5xx): the order's fate is unknown until reconciled.
    case outcomeUnknown(String)
    /// The broker refused the request; nothing happened there.
    case rejected(String)
    case unknownAccount(String)
    case noQuote(String)
    case notSupported(String)
}

/// What Keel knows about an order it sent (or tried to send), to find it at the broker again.
public struct BrokerOrderReference: Sendable, Hashable {
    public var clientOrderKey: String
    /// The broker's id, when the placement answered.
    public var brokerOrderID: String?
    public var symbol: String
    public var side: OrderSide
    public var quantity: Decimal
    /// When the intent was committed (just before the broker call).
    public var submittedAt: Date?
    /// Broker ids already matched to other intents of the account, which this one cannot be.
    public var claimedBrokerOrderIDs: Set<String>

    public init(clientOrderKey: String, brokerOrderID: String? = nil, symbol: String, side: OrderSide, quantity: Decimal,
                submittedAt: Date? = nil, claimedBrokerOrderIDs: Set<String> = []) {
        self.clientOrderKey = clientOrderKey
        self.brokerOrderID = brokerOrderID
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.submittedAt = submittedAt
        self.claimedBrokerOrderIDs = claimedBrokerOrderIDs
    }
}

import Foundation
import KeelServices
import KeelStore
import Vapor

struct TradeBody: Content {
    var userId: String?
    var strategyId: String?
    var symbol: String?
    var side: String?
    var quantity: Decimal?
    var entryPrice: Decimal?
    var exitPrice: Decimal?
    var fees: Decimal?
    var entryTime: String?
    var exitTime: String?
    var clientId: Int?
    var accountHash: String?

    var input: TradeInput {
        TradeInput(userID: userId, strategyID: strategyId, symbol: symbol, side: side, quantity: quantity, entryPrice: entryPrice,
                   exitPrice: exitPrice, fees: fees, entryTime: entryTime, exitTime: exitTime, clientID: clientId, accountHash: accountHash)
    }
}

struct CloseTradeBody: Content {
    var exitPrice: Decimal?
    var fees: Decimal?
    var exitTime: String?
}

struct TradeSizeBody: Content {
    var userId: String?
    var symbol: String?
    var baseQuantity: Decimal?
    var price: Decimal?
    var portfolioValue: Decimal?
}

struct TradeResponse: Content {
    var tradeId: String
    var userId: String
    var strategyId: String?
    var clientId: Int?
    var accountHash: String?
    var symbol: String
    var side: String
    var quantity: Decimal
    var entryPrice: Decimal
    var exitPrice: Decimal?
    var profitLoss: Decimal?
    var fees: Decimal
    var status: String
    var entryTime: Date
    var exitTime: Date?

    init(_ trade: TradeRecord) {
        tradeId = trade.tradeID
        userId = trade.userID
        strategyId = trade.strategyID
        clientId = trade.clientID
        accountHash = trade.accountHash
        symbol = trade.symbol
        side = trade.side
        quantity = trade.quantity
        entryPrice = trade.entryPrice
        exitPrice = trade.exitPrice
        profitLoss = trade.profitLoss
        fees = trade.fees
        status = trade.status.rawValue
        entryTime = trade.entryTime
        exitTime = trade.exitTime
    }
}

struct TradeSizingResponse: Content {
    var userId: String
    var symbol: String
    var baseQuantity: Decimal
    var factor: Double
    var quantity: Decimal
    var cappedBy: [String]
    var conflicts: [String]
    var strategy: String?
    var rule: String

    init(_ sizing: TradeSizing) {
        userId = sizing.userID
        symbol = sizing.symbol
        baseQuantity = sizing.baseQuantity
        factor = sizing.factor
        quantity = sizing.quantity
        cappedBy = sizing.cappedBy
        conflicts = sizing.conflicts
        strategy = sizing.strategy
        rule = sizing.rule
    }
}

struct StrategyInstanceBody: Content {
    var userId: String?
    var strategyType: String?
    var name: String?
    /// Any JSON object.
    var parameters: [String: StrategyParameter]?
}

/// A strategy parameter value: a number, text or flag.
enum StrategyParameter: Codable, Sendable {
    case number(Double), text(String), flag(Bool)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) { self = .flag(flag) }
        else if let number = try? container.decode(Double.self) { self = .number(number) }
        else { self = .text(try container.decode(String.self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let value): try container.encode(value)
        case .text(let value): try container.encode(value)
        case .flag(let value): try container.encode(value)
        }
    }
}

struct StrategyInstanceResponse: Content {
    var strategyId: String
    var userId: String
    var strategyType: String
    var name: String
    var goalId: String?
    var status: String
    var selectionReason: String
    var parameters: [String: StrategyParameter]
    var createdAt: Date
    var updatedAt: Date

    init(_ record: StrategyInstanceRecord) {
        strategyId = record.strategyID
        userId = record.userID
        strategyType = record.strategyType
        name = record.name
        goalId = record.goalID
        status = record.status
        selectionReason = record.selectionReason
        parameters = (try? JSONDecoder().decode([String: StrategyParameter].self, from: Data(record.parameters.utf8))) ?? [:]
        createdAt = record.createdAt
        updatedAt = record.updatedAt
    }
}

import Foundation
import KeelServices
import KeelStore
import Vapor

struct PositionHealthResponse: Content {
    var symbol: String
    var quantity: Decimal
    var averageCost: Decimal
    var price: Decimal?
    var marketValue: Decimal
    var weight: Double
    var targetWeight: Double?
    var drift: Double?
    var unrealizedPnl: Decimal

    init(_ position: PositionHealth) {
        symbol = position.symbol
        quantity = position.quantity
        averageCost = position.averageCost
        price = position.price
        marketValue = position.marketValue
        weight = position.weight
        targetWeight = position.targetWeight
        drift = position.drift
        unrealizedPnl = position.unrealisedPnL
    }
}

struct AccountHealthResponse: Content {
    var accountHash: String
    var brokerage: String
    var status: String
    var cash: Decimal
    var totalValue: Decimal
    var positions: [PositionHealthResponse]
}

struct LastBatchResponse: Content {
    var batchId: String
    var status: String
    var createdAt: Date
    var executedAt: Date?
    var orderCount: Int
}

struct PortfolioHealthResponse: Content {
    var clientId: Int
    var asOf: Date
    var totalValue: Decimal
    var cash: Decimal
    var investedValue: Decimal
    var unrealizedPnl: Decimal
    var realizedPnl: Decimal
    var positions: [PositionHealthResponse]
    var accounts: [AccountHealthResponse]
    var maxDrift: Double?
    var driftThreshold: Double
    var needsRebalance: Bool
    var trailingVolatility: Double?
    var lastBatch: LastBatchResponse?

    init(_ health: PortfolioHealth) {
        clientId = health.clientID
        asOf = health.asOf
        totalValue = health.totalValue
        cash = health.cash
        investedValue = health.investedValue
        unrealizedPnl = health.unrealisedPnL
        realizedPnl = health.realisedPnL
        positions = health.positions.map(PositionHealthResponse.init)
        accounts = health.accounts.map {
            AccountHealthResponse(accountHash: $0.account.accountHash, brokerage: $0.account.brokerage.code, status: $0.account.status.rawValue,
                                  cash: $0.cash, totalValue: $0.totalValue, positions: $0.positions.map(PositionHealthResponse.init))
        }
        maxDrift = health.maxDrift
        driftThreshold = health.driftThreshold
        needsRebalance = health.needsRebalance
        trailingVolatility = health.trailingVolatility
        lastBatch = health.lastBatch.map {
            LastBatchResponse(batchId: $0.batchID, status: $0.status.rawValue, createdAt: $0.createdAt, executedAt: $0.executedAt, orderCount: $0.orders.count)
        }
    }
}

struct TradingSwitchesResponse: Content {
    var killSwitchEngaged: Bool
    var tradingPaused: Bool
}

struct KillSwitchBody: Content {
    var engaged: Bool?
    var reason: String?
}

struct PauseBody: Content {
    var paused: Bool?
    var reason: String?
}

struct ReconciliationResponse: Content {
    struct Mismatch: Content {
        var accountHash: String
        var symbol: String?
        var keel: Decimal
        var broker: Decimal
    }

    var ordersResolved: Int
    var ordersStillUnknown: Int
    var batchesFinished: Int
    var mismatches: [Mismatch]
}

struct AuditEntryResponse: Content {
    var at: Date
    var actor: String
    var action: String
    var entityType: String
    var entityId: String
    var clientId: Int?
    var details: String
}

struct ResolveHaltBody: Content {
    /// Set Keel's cash and positions to the broker's instead of requiring that they already agree.
    var adoptBrokerBooks: Bool?
}

import Foundation
import KeelCore
import KeelML
import KeelServices
import KeelStore
import Vapor

struct PredictionResponse: Content {
    var symbol: String
    var expectedReturn: Double
    var score: Double
    var volatility: Double
    var horizonDays: Int
    var modelVersion: String
    var asOf: Date

    init(_ prediction: ReturnPrediction) {
        symbol = prediction.symbol
        expectedReturn = prediction.expectedReturn
        score = prediction.score
        volatility = prediction.volatility
        horizonDays = prediction.horizonDays
        modelVersion = prediction.modelVersion
        asOf = prediction.asOf
    }
}

struct RebalanceBody: Content {
    var clientId: Int?
    var accountHash: String?
    var portfolioId: Int?
    var maxPositions: Int?
    var requireApproval: Bool?
    /// false: ignore the account's financial goals for this batch.
    var useGoals: Bool?
    /// true: plan a purchase or sale the wash-sale rule would make disallow a loss (the advisor knows).
    var allowWashSales: Bool?
}

struct RejectBody: Content {
    var reason: String?
}

struct ExecuteBody: Content {
    var batchId: String?
    var dryRun: Bool?
}

struct OrderResponse: Content {
    var orderId: String
    var sequence: Int
    var symbol: String
    var side: String
    var quantity: Decimal
    var referencePrice: Decimal
    var estimatedNotional: Decimal
    var currentWeight: Double
    var targetWeight: Double
    var clientOrderKey: String
    var status: String
    var brokerOrderId: String?
    var filledQuantity: Decimal
    var averageFillPrice: Decimal?
    var commission: Decimal
    var rejectReason: String?

    init(_ order: BatchOrderRecord) {
        orderId = order.orderID
        sequence = order.sequence
        symbol = order.symbol
        side = order.side.rawValue
        quantity = order.quantity
        referencePrice = order.referencePrice
        estimatedNotional = order.estimatedNotional
        currentWeight = order.currentWeight
        targetWeight = order.targetWeight
        clientOrderKey = order.clientOrderKey
        status = order.status.rawValue
        brokerOrderId = order.brokerOrderID
        filledQuantity = order.filledQuantity
        averageFillPrice = order.averageFillPrice
        commission = order.commission
        rejectReason = order.rejectReason
    }
}

struct BatchResponse: Content {
    var batchId: String
    var clientId: Int
    var accountHash: String
    var portfolioId: Int
    var strategy: String
    var modelVersion: String
    /// The registry id of the model version that produced the batch (the baseline's label when none was deployed).
    var modelId: String?
    var status: String
    var contentHash: String
    var requireApproval: Bool
    var portfolioValue: Decimal
    var orderCount: Int
    var buyNotional: Decimal
    var sellNotional: Decimal
    var orders: [OrderResponse]
    var targetWeights: [String: Double]
    var skippedAsDust: [String]
    var withinDriftThreshold: [String]
    /// The goals that steered the batch (risk factor, strategy and why), when the account has any.
    var goal: PlanNotes.GoalNotes?
    /// Names left out of new buys because their last bar is not from the latest completed session, with why.
    var staleExcluded: [String: String]
    /// A taxable account's batch: each sale's estimated realised gain and tax, and what the tax rules changed.
    var tax: PlanNotes.TaxNotes?
    var createdBy: String
    var createdAt: Date
    var approvalExpiresAt: Date?
    var approvedBy: String?
    var approvedAt: Date?
    var rejectedBy: String?
    var rejectedAt: Date?
    var rejectionReason: String?
    var executionMode: String?
    var executedBy: String?
    var executedAt: Date?
    var error: String?

    init(_ batch: BatchRecord) {
        let notes = PlanNotes.decode(batch.planNotes)
        batchId = batch.batchID
        clientId = batch.clientID
        accountHash = batch.accountHash
        portfolioId = batch.portfolioID
        strategy = batch.strategy
        modelVersion = batch.modelVersion
        modelId = batch.modelID
        status = batch.status.rawValue
        contentHash = batch.contentHash
        requireApproval = batch.requireApproval
        portfolioValue = batch.portfolioValue
        orderCount = batch.orders.count
        buyNotional = batch.orders.filter { $0.side == .buy }.reduce(Decimal(0)) { $0 + $1.estimatedNotional }
        sellNotional = batch.orders.filter { $0.side == .sell }.reduce(Decimal(0)) { $0 + $1.estimatedNotional }
        orders = batch.orders.map(OrderResponse.init)
        targetWeights = notes?.targetWeights ?? [:]
        skippedAsDust = notes?.skippedAsDust ?? []
        withinDriftThreshold = notes?.withinDriftThreshold ?? []
        goal = notes?.goal
        staleExcluded = notes?.staleExcluded ?? [:]
        tax = notes?.tax
        createdBy = batch.createdBy
        createdAt = batch.createdAt
        approvalExpiresAt = batch.approvalExpiresAt
        approvedBy = batch.approvedBy
        approvedAt = batch.approvedAt
        rejectedBy = batch.rejectedBy
        rejectedAt = batch.rejectedAt
        rejectionReason = batch.rejectionReason
        executionMode = batch.executionMode?.rawValue
        executedBy = batch.executedBy
        executedAt = batch.executedAt
        error = batch.error
    }
}

struct ExecutedTradeResponse: Content {
    var orderId: String
    var clientOrderKey: String
    var symbol: String
    var side: String
    var quantity: Decimal
    var price: Decimal?
    var notional: Decimal?
    var commission: Decimal
    var status: String
    var message: String?
}

struct ExecutionResponse: Content {
    var success: Bool
    var batchId: String
    var dryRun: Bool
    var mode: String
    var status: String
    var tradesExecuted: Int
    var trades: [ExecutedTradeResponse]
    var cashBefore: Decimal
    var cashAfter: Decimal
    /// Orders still waiting at the broker and when they are expected to fill (status `working`).
    var note: String?

    init(_ report: ExecutionReport) {
        success = report.success
        batchId = report.batchID
        dryRun = report.dryRun
        mode = report.mode.rawValue
        status = report.batchStatus.rawValue
        tradesExecuted = report.tradesExecuted
        trades = report.trades.map {
            ExecutedTradeResponse(orderId: $0.orderID, clientOrderKey: $0.clientOrderKey, symbol: $0.symbol, side: $0.side.rawValue,
                                  quantity: $0.quantity, price: $0.price, notional: $0.notional, commission: $0.commission,
                                  status: $0.status.rawValue, message: $0.message)
        }
        cashBefore = report.cashBefore
        cashAfter = report.cashAfter
        note = report.note
    }
}

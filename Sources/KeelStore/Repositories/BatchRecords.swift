import Foundation
import KeelCore

public enum BatchStatus: String, Sendable, Codable, CaseIterable {
    case pendingApproval = "pending_approval"
    case approved
    case rejected
    /// The approval window passed before execution; the batch must be regenerated.
    case expired
    /// Claimed by one executor; orders are being sent.
    case executing
    case executed
    case partiallyExecuted = "partially_executed"
    case failed
    /// Execution was interrupted with orders of unknown fate; reconciliation with the broker will settle it.
    case needsReconciliation = "needs_reconciliation"
    /// Every order reached the broker; some wait there to fill (the market is closed, a limit not reached). Nothing
    /// failed: the reconciliation timer settles the batch when they fill.
    case working

    /// A batch whose orders are out at the broker or may be: its account's next batch waits for it.
    public static let inFlight: [BatchStatus] = [.executing, .working, .needsReconciliation]
    /// Open: waiting for a decision or in flight (at most one per account).
    public static let open: [BatchStatus] = [.pendingApproval, .approved] + inFlight

    public var isFinal: Bool {
        switch self {
        case .rejected, .expired, .executed, .partiallyExecuted, .failed: true
        default: false
        }
    }
}

public enum BatchOrderStatus: String, Sendable, Codable, CaseIterable {
    /// Stored with the batch; never sent.
    case planned
    /// The intent is committed and the broker call is under way (or was, when a crash interrupted it).
    case submitting
    /// Accepted by the broker, not (fully) filled yet.
    case working
    case filled
    case partiallyFilled = "partially_filled"
    case rejected
    /// The broker call's outcome is unknown (timeout, 5xx); never re-sent before reconciliation.
    case unknown
    case cancelled

    public var isFinal: Bool { self == .filled || self == .rejected || self == .cancelled }
}

public struct BatchOrderRecord: Sendable, Hashable {
    public var orderID: String
    public var batchID: String
    public var sequence: Int
    public var symbol: String
    public var side: OrderSide
    public var quantity: Decimal
    public var referencePrice: Decimal
    public var estimatedNotional: Decimal
    public var currentWeight: Double
    public var targetWeight: Double
    public var clientOrderKey: String
    public var status: BatchOrderStatus
    public var brokerOrderID: String?
    public var filledQuantity: Decimal
    public var averageFillPrice: Decimal?
    public var commission: Decimal
    public var rejectReason: String?
    public var submittedAt: Date?
    public var updatedAt: Date
    /// The lots a sale sells, chosen by the tax rules (a harvest's loss lots, or recent shares first so a loss is not
    /// washed); nil: the client's lot method.
    public var lotIDs: [String]?

    public init(orderID: String, batchID: String, sequence: Int, symbol: String, side: OrderSide, quantity: Decimal, referencePrice: Decimal,
                estimatedNotional: Decimal, currentWeight: Double, targetWeight: Double, clientOrderKey: String, status: BatchOrderStatus,
                brokerOrderID: String? = nil, filledQuantity: Decimal = 0, averageFillPrice: Decimal? = nil, commission: Decimal = 0,
                rejectReason: String? = nil, submittedAt: Date? = nil, updatedAt: Date, lotIDs: [String]? = nil) {
        self.orderID = orderID
        self.batchID = batchID
        self.sequence = sequence
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.referencePrice = referencePrice
        self.estimatedNotional = estimatedNotional
        self.currentWeight = currentWeight
        self.targetWeight = targetWeight
        self.clientOrderKey = clientOrderKey
        self.status = status
        self.brokerOrderID = brokerOrderID
        self.filledQuantity = filledQuantity
        self.averageFillPrice = averageFillPrice
        self.commission = commission
        self.rejectReason = rejectReason
        self.submittedAt = submittedAt
        self.updatedAt = updatedAt
        self.lotIDs = lotIDs
    }

    public var plannedOrder: PlannedOrder {
        PlannedOrder(symbol: symbol, side: side, quantity: quantity, referencePrice: referencePrice,
                     currentWeight: currentWeight, targetWeight: targetWeight)
    }
}

public struct BatchRecord: Sendable, Hashable {
    public var batchID: String
    public var clientID: Int
    public var accountHash: String
    public var portfolioID: Int
    public var strategy: String
    public var modelVersion: String
    /// The registry id of the model version behind it (the baseline's label when none was deployed).
    public var modelID: String?
    /// The autonomous cycle that planned it; nil for a batch requested by hand.
    public var cycleID: String?
    public var status: BatchStatus
    public var contentHash: String
    public var requireApproval: Bool
    public var portfolioValue: Decimal
    /// JSON describing what the plan skipped and why (dust, drift threshold, missing prices).
    public var planNotes: String
    public var createdBy: String
    public var createdAt: Date
    public var approvalExpiresAt: Date?
    public var approvedBy: String?
    public var approvedAt: Date?
    public var approvedHash: String?
    public var rejectedBy: String?
    public var rejectedAt: Date?
    public var rejectionReason: String?
    public var executionMode: TradingMode?
    public var executedBy: String?
    public var executionStartedAt: Date?
    public var executedAt: Date?
    public var error: String?
    public var updatedAt: Date
    public var orders: [BatchOrderRecord]

    public init(batchID: String, clientID: Int, accountHash: String, portfolioID: Int, strategy: String, modelVersion: String,
                status: BatchStatus, contentHash: String, requireApproval: Bool, portfolioValue: Decimal, planNotes: String,
                createdBy: String, createdAt: Date, approvalExpiresAt: Date?, orders: [BatchOrderRecord]) {
        self.batchID = batchID
        self.clientID = clientID
        self.accountHash = accountHash
        self.portfolioID = portfolioID
        self.strategy = strategy
        self.modelVersion = modelVersion
        self.status = status
        self.contentHash = contentHash
        self.requireApproval = requireApproval
        self.portfolioValue = portfolioValue
        self.planNotes = planNotes
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.approvalExpiresAt = approvalExpiresAt
        self.updatedAt = createdAt
        self.orders = orders
    }
}

/// A batch at a glance: what the cycle's steps check without reading its orders.
public struct BatchSummary: Sendable, Hashable {
    public var status: BatchStatus
    public var approvedBy: String?
    public var orders: Int
    /// Orders whose fate is not settled yet (unknown, submitting, working).
    public var ordersInFlight: Int
}

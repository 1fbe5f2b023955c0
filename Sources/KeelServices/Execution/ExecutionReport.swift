import Foundation
import KeelCore
import KeelStore

/// One order's result (or, in a dry run, what it would have done).
public struct ExecutedTrade: Sendable, Hashable {
    public var orderID: String
    public var clientOrderKey: String
    public var symbol: String
    public var side: OrderSide
    public var quantity: Decimal
    public var price: Decimal?
    public var notional: Decimal?
    public var commission: Decimal
    public var status: BatchOrderStatus
    public var message: String?
}

public struct ExecutionReport: Sendable {
    public var batchID: String
    public var mode: TradingMode
    public var dryRun: Bool
    public var success: Bool
    public var batchStatus: BatchStatus
    public var trades: [ExecutedTrade]
    public var cashBefore: Decimal
    public var cashAfter: Decimal
    public var riskViolations: [RiskViolation]

    /// Orders that filled (or, in a dry run, would fill).
    public var tradesExecuted: Int { trades.filter { $0.status == .filled || $0.status == .partiallyFilled }.count }
}

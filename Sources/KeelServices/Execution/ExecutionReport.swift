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
    /// What is still to happen, when anything is: orders waiting at the broker and when they are expected to fill.
    public var note: String? = nil

    /// Orders that filled (or, in a dry run, would fill).
    public var tradesExecuted: Int { trades.filter { $0.status == .filled || $0.status == .partiallyFilled }.count }
}

extension ExecutionReport {
    /// Nothing failed: every order filled, or every order not filled yet waits at the broker (`working`).
    static func succeeded(_ status: BatchStatus) -> Bool { status == .executed || status == .working }

    /// For a batch left working: how many orders wait and, for the paper broker's market hours, when each asset
    /// class's orders are expected to fill (the next open of its market); the reconciliation timer settles the batch.
    static func waitingNote(_ trades: [ExecutedTrade], status: BatchStatus, at now: Date, keepsMarketHours: Bool) -> String? {
        guard status == .working else { return nil }
        let waiting = trades.filter { $0.status == .working || $0.status == .partiallyFilled }
        guard !waiting.isEmpty else { return nil }
        var note = "\(waiting.count) order(s) wait at the broker to fill; the batch is settled when they do"
        if keepsMarketHours {
            let opens = Set(waiting.map { AssetClass.inferred(fromSymbol: $0.symbol) }).map { assetClass in
                (assetClass, MarketHours.forAssetClass(assetClass).nextOpen(after: now))
            }.sorted { $0.1 < $1.1 }
            let formatter = ISO8601DateFormatter()
            note += " (expected from the market's next open: " + opens.map { "\($0.0.rawValue) \(formatter.string(from: $0.1))" }.joined(separator: ", ") + ")"
        }
        return note
    }
}

import Foundation
import KeelCore
import KeelServices
import KeelStore
import KeelWeb

/// The approval queue (staff): waiting batches with their orders, estimated costs, pre-trade checks, a dry-run
/// preview against today's books and the regime of the day each was planned.
public struct ApprovalQueueQuery: Sendable {
    let approvals: ApprovalService
    let execution: ExecutionService
    let regimes: RegimeService
    let settings: ServiceSettings

    /// Ten batches a page: each is shown with its checks and a preview, read against today's books.
    static let pageSize = 10

    public init(approvals: ApprovalService, execution: ExecutionService, regimes: RegimeService, settings: ServiceSettings) {
        self.approvals = approvals
        self.execution = execution
        self.regimes = regimes
        self.settings = settings
    }

    public func load(page requested: Int?, done: String?, error: String?, rejectErrorBatch: String?,
                     for reader: PageViewer) async throws -> PageOutcome<ApprovalQueuePage.Model> {
        guard reader.isStaff else { return .staffOnly("Approvals", "The approval queue is for advisors.") }
        let principal = reader.principal
        let page = min(max(requested ?? 1, 1), 100_000)
        let (waiting, total) = try await approvals.queue(page: page, pageSize: Self.pageSize, by: principal)
        let costs = settings.paperCosts
        let previews = try await execution.previews(waiting, by: principal)
        // The regime of each batch's planning day, from one classification of the benchmark.
        let benchmark = settings.cycle.regimeSymbol
        var regimeDays: [RegimeDay] = []
        if let earliest = waiting.map(\.createdAt).min() {
            regimeDays = (try? await regimes.history(symbol: benchmark, from: earliest.addingTimeInterval(-10 * 86_400), to: nil, by: principal)) ?? []
        }
        func regime(at date: Date) -> String? {
            regimeDays.last { $0.date <= date }.map { "\($0.regime.rawValue) (\(benchmark), confidence \(String(format: "%.2f", $0.confidence)))" }
        }
        let names = Dictionary(previews.values.map { ($0.client.clientID, "\($0.client.firstName) \($0.client.lastName)") }, uniquingKeysWith: { first, _ in first })
        let batches = waiting.compactMap { batch -> ApprovalQueuePage.Model.Batch? in
            guard let preview = previews[batch.batchID] else { return nil }
            let notes = PlanNotes.decode(batch.planNotes)
            let estimated = batch.orders.reduce(Decimal(0)) { sum, order in
                sum + (order.estimatedNotional * costs.slippageBasisPoints / 10_000).roundedToCents
                    + costs.fees(side: order.side, notional: order.estimatedNotional, quantity: order.quantity, assetClass: AssetClass.inferred(fromSymbol: order.symbol))
            }
            var entry = ApprovalQueuePage.Model.Batch(
                batchID: batch.batchID, client: names[batch.clientID] ?? "client \(batch.clientID)", accountHash: batch.accountHash,
                createdAt: batch.createdAt, expiresAt: batch.approvalExpiresAt, strategy: batch.strategy, modelVersion: batch.modelVersion,
                reason: notes?.cycle?.reason ?? notes?.goal?.strategyReason, goalFactor: notes?.goal?.factor ?? notes?.cycle?.riskFactor,
                cycleID: batch.cycleID, regime: regime(at: batch.createdAt), portfolioValue: batch.portfolioValue.doubleValue, estimatedCosts: estimated.doubleValue,
                checks: preview.violations.map(\.message),
                orders: batch.orders.map { .init(symbol: $0.symbol, side: $0.side.rawValue, quantity: $0.quantity.doubleValue, price: $0.referencePrice.doubleValue,
                                                 notional: $0.estimatedNotional.doubleValue, currentWeight: $0.currentWeight, targetWeight: $0.targetWeight) },
                preview: .init(fills: preview.trades.map { .init(symbol: $0.symbol, side: $0.side.rawValue, quantity: $0.quantity.doubleValue,
                                                                 price: ($0.price ?? 0).doubleValue, notional: ($0.notional ?? 0).doubleValue, fees: $0.commission.doubleValue) },
                               cashBefore: preview.cashBefore.doubleValue, cashAfter: preview.cashAfter.doubleValue))
            if let tax = notes?.tax {
                entry.tax = "lots sold by \(tax.lotMethod.replacingOccurrences(of: "_", with: " ")), taxed at \(Self.percent(tax.shortTermRate)) short term "
                    + "and \(Self.percent(tax.longTermRate)) long term" + (tax.washSalesAllowed ? "; wash sales allowed by the advisor" : "")
                entry.taxAdjustments = tax.adjustments.sorted { $0.key < $1.key }.map { .init(symbol: $0.key, reason: $0.value) }
                for index in entry.orders.indices {
                    guard let estimate = tax.estimates[entry.orders[index].symbol], entry.orders[index].side == "sell" else { continue }
                    entry.orders[index].estimatedGain = (estimate.shortTermGain + estimate.longTermGain).doubleValue
                    entry.orders[index].estimatedTax = estimate.tax.doubleValue
                }
            }
            return entry
        }
        return .page(ApprovalQueuePage.Model(
            viewer: reader.viewer, batches: batches, notice: done.flatMap { ApprovalQueuePage.messages[$0] },
            error: error.map { ApprovalQueuePage.messages[$0] ?? "The action failed; the queue shows the batch as it is now." },
            rejectErrorBatch: rejectErrorBatch, page: page, pageSize: Self.pageSize, total: total))
    }
}

extension ApprovalQueueQuery {
    static func percent(_ rate: Decimal) -> String { Format.percent(rate.doubleValue) }
}

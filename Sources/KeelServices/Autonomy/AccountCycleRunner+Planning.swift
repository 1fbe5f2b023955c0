import Foundation
import KeelCore
import KeelML
import KeelStore

/// The cycle's predictions, planning and batch steps over a chunk: the shared market of the cycle, one planning
/// transaction per chunk, the empty batches closed at once.
extension AccountCycleRunner {
    /// The cycle's shared bars for a universe.
    func histories(cycleID: String) -> @Sendable ([String], Date, Session) async throws -> [BarSeries] {
        let market = self.market
        return { symbols, since, session in
            try await market.histories(cycleID: cycleID, symbols: symbols, since: since) {
                try await session.marketBars.history(symbols: symbols, since: since)
            }
        }
    }

    /// The cycle's memo of forecasts, shared by the predictions and the planning of every account.
    func forecasts(cycleID: String) -> ForecastMemo {
        let market = self.market
        return { modelID, symbols, compute in market.forecast(cycleID: cycleID, modelID: modelID, symbols: symbols, compute: compute) }
    }

    /// The chunk's predictions, each distinct universe predicted once, all stored in one statement.
    func predictions(cycleID: String, _ accounts: [(hash: String, clientID: Int, portfolioID: Int)]) async throws -> ChunkAnswers<AccountCycleOutputs.Forecast> {
        let answers = try await rebalancing.predictions.predict(accounts.map { PredictionService.Request(key: $0.hash, clientID: $0.clientID, portfolioID: $0.portfolioID) },
                                                                histories: histories(cycleID: cycleID), forecasts: forecasts(cycleID: cycleID))
        return answers.mapValues { answer in
            answer.map { forecasts in
                let top = forecasts.sorted { $0.expectedReturn > $1.expectedReturn }.prefix(5)
                return .completed(AccountCycleOutputs.Forecast(model: forecasts.first?.modelVersion ?? "none", symbols: forecasts.count,
                                                               top: Dictionary(top.map { ($0.symbol, $0.expectedReturn.isFinite ? $0.expectedReturn : 0) },
                                                                               uniquingKeysWith: { first, _ in first })))
            }
        }
    }

    /// Plans the chunk's batches (target weights and orders) in one transaction, except those the cycle already
    /// planned (a resumed step finds them by the cycle's id).
    func generate(cycle: CycleRunRecord, _ accounts: [(hash: String, clientID: Int, selection: AccountCycleOutputs.Selection)])
        async throws -> ChunkAnswers<AccountCycleOutputs.Portfolio> {
        let cycleID = cycle.cycleID
        let planned = try await context.database.read { try await $0.batches.cycleBatchStatuses(cycleID: cycleID, accountHashes: accounts.map(\.hash)) }
        var answers: ChunkAnswers<AccountCycleOutputs.Portfolio> = [:]
        var requests: [RebalanceRequest] = []
        for account in accounts {
            if let existing = planned[account.hash] {
                let batch = try await context.database.read { try await $0.batches.find(existing.batchID) }
                answers[account.hash] = .success(.completed(AccountCycleOutputs.Portfolio(
                    batchID: existing.batchID, targetWeights: batch.flatMap { PlanNotes.decode($0.planNotes)?.targetWeights } ?? [:],
                    note: "planned before this run resumed")))
                continue
            }
            var request = RebalanceRequest(clientID: account.clientID, accountHash: account.hash, portfolioID: account.selection.portfolioID, useGoals: true)
            request.strategy = StrategyKind(rawValue: account.selection.strategy)
            request.riskFactor = account.selection.riskFactor
            request.cycleID = cycleID
            request.decisionReason = account.selection.reason
            request.histories = histories(cycleID: cycleID)
            request.forecasts = forecasts(cycleID: cycleID)
            requests.append(request)
        }
        guard !requests.isEmpty else { return answers }
        for (accountHash, result) in try await rebalancing.rebalance(requests, by: Self.principal) {
            answers[accountHash] = result.map { batch in
                .completed(AccountCycleOutputs.Portfolio(batchID: batch.batchID, targetWeights: PlanNotes.decode(batch.planNotes)?.targetWeights ?? [:],
                                                         note: batch.cycleID == cycleID ? "planned" : "an identical batch was already waiting"))
            }
        }
        return answers
    }

    /// Checks the chunk's planned batches (one query) and closes those with nothing to trade at once (one statement).
    func recordBatches(_ planned: [String: String?]) async throws -> ChunkAnswers<AccountCycleOutputs.Batch> {
        let batchIDs = planned.values.compactMap { $0 }
        let summaries = try await context.database.read { try await $0.batches.summaries(batchIDs) }
        let empty = batchIDs.filter { summaries[$0]?.orders == 0 }
        let now = context.clock.now()
        if !empty.isEmpty {
            // One statement: no transaction around it. A batch an advisor already handled keeps its state.
            _ = try await context.database.writeStatement { session in
                try await session.batches.transition(empty, from: [.pendingApproval, .approved], to: .rejected, at: now, setting: [
                    "rejected_by": "autonomous", "rejected_at": now, "rejection_reason": "nothing to trade: holdings are within the drift threshold",
                ])
            }
        }
        var answers: ChunkAnswers<AccountCycleOutputs.Batch> = [:]
        for (accountHash, batchID) in planned {
            guard let batchID, let summary = summaries[batchID] else {
                answers[accountHash] = .success(.skipped(AccountCycleOutputs.Batch(batchID: nil, status: nil, orders: 0, note: "no batch was planned")))
                continue
            }
            answers[accountHash] = .success(.completed(summary.orders == 0
                ? AccountCycleOutputs.Batch(batchID: batchID, status: BatchStatus.rejected.rawValue, orders: 0, note: "holdings are within the drift threshold")
                : AccountCycleOutputs.Batch(batchID: batchID, status: summary.status.rawValue, orders: summary.orders,
                                            note: "\(summary.orders) order(s), \(summary.status.rawValue)")))
        }
        return answers
    }
}

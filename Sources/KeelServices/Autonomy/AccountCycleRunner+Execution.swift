import Foundation
import KeelCore
import KeelML
import KeelStore

/// The cycle's approval, execution and reconciliation steps: approvals and in-flight checks read once per chunk,
/// paper batches executed as one set per chunk, other batches by the execution service on their own.
extension AccountCycleRunner {
    /// The chunk's batches with orders: approved ones go on; one that waits for an advisor raises its alert. One read
    /// of the batches for the chunk, in one transaction with the alerts.
    func approve(_ accounts: [(hash: String, clientID: Int, batchID: String)]) async throws -> ChunkAnswers<AccountCycleOutputs.Approval> {
        let now = context.clock.now()
        let settings = context.settings
        return try await context.database.write { session in
            let summaries = try await session.batches.summaries(accounts.map(\.batchID))
            var answers: ChunkAnswers<AccountCycleOutputs.Approval> = [:]
            for (accountHash, clientID, batchID) in accounts {
                guard let batch = summaries[batchID] else {
                    answers[accountHash] = .failure(ServiceError.notFound("batch \(batchID)"))
                    continue
                }
                switch batch.status {
                case .pendingApproval:
                    try await AlertOutbox.raise(NewAlert(kind: Self.awaitingApprovalAlert, severity: "info", clientID: clientID, accountHash: accountHash,
                                                         message: "batch \(batchID) (\(batch.orders) orders) waits for approval"),
                                                session: session, settings: settings, at: now)
                    answers[accountHash] = .success(.completed(AccountCycleOutputs.Approval(approved: false, by: nil,
                                                                                          note: "the client's preferences require approval: alert raised")))
                case .approved, .executing, .working, .executed, .partiallyExecuted, .needsReconciliation, .failed:
                    answers[accountHash] = .success(.completed(AccountCycleOutputs.Approval(approved: true, by: batch.approvedBy,
                                                                                          note: "approved automatically (the client's preferences allow it)")))
                default:
                    answers[accountHash] = .success(.skipped(AccountCycleOutputs.Approval(approved: false, by: nil, note: "batch is \(batch.status.rawValue)")))
                }
            }
            return answers
        }
    }

    /// The chunk's approved batches: those of paper accounts that may trade now executed as one set (three
    /// transactions for the chunk, see `ExecutionService.executeOnPaper`), every other one on its own. `stops`: why a
    /// client may not trade now, as read for the chunk just before the step.
    func execute(_ accounts: [(hash: String, clientID: Int, batchID: String)], stops: [Int: String],
                 dryRun: Bool) async throws -> ChunkAnswers<AccountCycleOutputs.Execution> {
        var answers: ChunkAnswers<AccountCycleOutputs.Execution> = [:]
        var alone = accounts.filter { dryRun || stops[$0.clientID] != nil }
        let together = dryRun ? [] : accounts.filter { stops[$0.clientID] == nil }
        if !together.isEmpty {
            let results = try await execution.executeOnPaper(together.map(\.batchID), by: Self.principal)
            let after = try await context.database.read { try await $0.batches.find(together.map(\.batchID)) }
            for account in together {
                switch results[account.batchID] {
                case .done?:
                    guard let batch = after[account.batchID] else { answers[account.hash] = .failure(ServiceError.notFound("batch \(account.batchID)")); continue }
                    answers[account.hash] = .success(.completed(Self.executionSummary(batch, "executed: batch is \(batch.status.rawValue)")))
                case .refused(let error)? where ["kill_switch_engaged", "trading_paused"].contains(error.code):
                    guard let batch = after[account.batchID] else { answers[account.hash] = .failure(error); continue }
                    var stopped = Self.executionSummary(batch, "not sent: \(error.message)")
                    stopped.stopped = true
                    answers[account.hash] = .success(.skipped(stopped))
                case .refused(let error)?:
                    answers[account.hash] = .failure(error)
                case .alone?, nil:
                    alone.append(account)
                }
            }
        }
        for account in alone {
            do { answers[account.hash] = .success(try await execute(batchID: account.batchID, stop: stops[account.clientID], dryRun: dryRun)) }
            catch { answers[account.hash] = .failure(error) }
        }
        return answers
    }

    static func executionSummary(_ batch: BatchRecord, _ note: String) -> AccountCycleOutputs.Execution {
        AccountCycleOutputs.Execution(mode: batch.executionMode?.rawValue, batchStatus: batch.status.rawValue,
                                      ordersSent: batch.orders.filter { $0.status != .planned && $0.status != .cancelled }.count,
                                      ordersFilled: batch.orders.filter { $0.status == .filled }.count, note: note)
    }

    /// One batch on its own. `stop`: why the client may not trade now, as read for the chunk just before the step.
    func execute(batchID: String, stop: String?, dryRun: Bool) async throws -> CycleStepRecorder.Outcome<AccountCycleOutputs.Execution> {
        guard let batch = try await context.database.read({ try await $0.batches.find(batchID) }) else { throw ServiceError.notFound("batch \(batchID)") }
        let summary = Self.executionSummary
        switch batch.status {
        case .approved:
            if let why = stop {
                var stopped = summary(batch, why)
                stopped.stopped = true
                return .skipped(stopped)
            }
            do {
                let report = try await execution.execute(batchID: batchID, dryRun: dryRun, by: Self.principal)
                let after = try await context.database.read { try await $0.batches.find(batchID) } ?? batch
                if report.dryRun {
                    return .completed(AccountCycleOutputs.Execution(mode: "dry_run", batchStatus: after.status.rawValue, ordersSent: 0,
                                                                    ordersFilled: report.trades.count, note: "dry run: \(report.trades.count) order(s) simulated, none sent"))
                }
                return .completed(summary(after, "executed: batch is \(after.status.rawValue)"))
            } catch let error as ServiceError where ["kill_switch_engaged", "trading_paused", "dry_run_only"].contains(error.code) {
                if error.code == "dry_run_only" {
                    let report = try await execution.execute(batchID: batchID, dryRun: true, by: Self.principal)
                    return .completed(AccountCycleOutputs.Execution(mode: "dry_run", batchStatus: batch.status.rawValue, ordersSent: 0,
                                                                    ordersFilled: report.trades.count, note: "the client trades in dry_run mode: simulated only"))
                }
                var stopped = summary(batch, "not sent: \(error.message)")
                stopped.stopped = true
                return .skipped(stopped)
            }
        case .executing, .working, .needsReconciliation:
            // The process stopped while this batch was executing: nothing is sent again; reconciliation settles it.
            return .completed(summary(batch, "resumed: the batch was already executing; no order is sent again"))
        default:
            return .completed(summary(batch, "batch is \(batch.status.rawValue)"))
        }
    }

    /// Settles what the chunk's executions left in flight: one read of the batches for the chunk; reconciliation with
    /// the broker only for the accounts that need it.
    func reconcile(_ accounts: [(hash: String, batchID: String)]) async throws -> ChunkAnswers<AccountCycleOutputs.Reconciliation> {
        let summaries = try await context.database.read { try await $0.batches.summaries(accounts.map(\.batchID)) }
        var answers: ChunkAnswers<AccountCycleOutputs.Reconciliation> = [:]
        for (accountHash, batchID) in accounts {
            guard let batch = summaries[batchID] else {
                answers[accountHash] = .failure(ServiceError.notFound("batch \(batchID)"))
                continue
            }
            guard BatchStatus.inFlight.contains(batch.status) || batch.ordersInFlight > 0 else {
                answers[accountHash] = .success(.skipped(AccountCycleOutputs.Reconciliation(ordersResolved: 0, ordersStillUnknown: 0, mismatches: 0,
                                                                                          note: "nothing in flight: batch is \(batch.status.rawValue)")))
                continue
            }
            do {
                let report = try await reconciliation.reconcile(inFlightGrace: 0, accountHash: accountHash)
                answers[accountHash] = .success(.completed(AccountCycleOutputs.Reconciliation(
                    ordersResolved: report.ordersResolved, ordersStillUnknown: report.ordersStillUnknown, mismatches: report.mismatches.count,
                    note: "reconciled with the broker")))
            } catch let error as ServiceError {
                answers[accountHash] = .failure(error)
            }
        }
        return answers
    }
}

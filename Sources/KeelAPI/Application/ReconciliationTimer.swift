import Foundation
import KeelServices
import Vapor

/// Re-runs reconciliation on a timer while the server runs (rule 6), so an order left `unknown` by a broker
/// timeout is settled without waiting for a restart. Stopped with the application.
final class ReconciliationTimer: LifecycleHandler, @unchecked Sendable {
    private let interval: TimeInterval
    private let lock = NSLock()
    private var task: Task<Void, Never>?

    init(interval: TimeInterval) {
        self.interval = interval
    }

    func didBootAsync(_ application: Application) async throws {
        let services = application.keel
        let logger = application.logger
        let interval = self.interval
        let loop = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
                if Task.isCancelled { break }
                do {
                    try await services.schwab?.tokens.watchAll()
                    // Goal periods end with time, not only with trades; retried webhooks fall due.
                    try await services.goals.reevaluateAll(trigger: "scheduled")
                    try await services.webhooks?.deliverDue()
                    let report = try await services.reconciliation.reconcile()
                    if report.ordersResolved + report.batchesFinished > 0 {
                        logger.notice("reconciliation settled \(report.ordersResolved) order(s), finished \(report.batchesFinished) batch(es)")
                    }
                } catch {
                    logger.error("reconciliation failed: \(error)")
                }
            }
        }
        lock.withLock { task = loop }
    }

    func shutdownAsync(_ application: Application) async {
        lock.withLock { task?.cancel() }
    }
}

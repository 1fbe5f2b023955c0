import Foundation
import KeelStore

/// Delivers queued alert webhooks: each pending delivery is POSTed; a non-2xx answer or a network error is
/// retried after the configured delays (short ones at once in this process, longer ones by the next run of
/// `deliverDue`, which the server's timer and start-up call), and given up after the last delay. Delivery is
/// at least once: receivers de-duplicate by `alert_id`.
public actor WebhookDispatcher {
    let context: ServiceContext
    let sender: any WebhookSender
    /// Retries waiting at most this long happen inside the same run.
    let inlineRetryLimit: TimeInterval
    private var running = false
    private var again = false

    public init(context: ServiceContext, sender: any WebhookSender, inlineRetryLimit: TimeInterval = 5) {
        self.context = context
        self.sender = sender
        self.inlineRetryLimit = inlineRetryLimit
    }

    /// Starts a delivery run in the background (after a transaction that queued alerts has committed).
    public nonisolated func kick() {
        Task { _ = try? await self.deliverDue() }
    }

    /// Sends every due delivery; returns how many were delivered. One run at a time; a call during a run
    /// makes the run go round once more.
    @discardableResult
    public func deliverDue() async throws -> Int {
        if running {
            again = true
            return 0
        }
        running = true
        defer { running = false }
        var delivered = 0
        repeat {
            again = false
            let now = context.clock.now()
            let due = try await context.database.read { try await $0.webhookDeliveries.due(at: now) }
            for delivery in due where try await deliver(delivery) { delivered += 1 }
        } while again
        return delivered
    }

    private func deliver(_ delivery: WebhookDeliveryRecord) async throws -> Bool {
        let delays = context.settings.webhookRetryDelays
        var attempts = delivery.attempts
        while true {
            var statusCode: Int?
            var failure: String?
            do {
                statusCode = try await sender.post(url: delivery.url, json: delivery.payload)
                if !(200..<300).contains(statusCode ?? 0) { failure = "HTTP \(statusCode ?? 0)" }
            } catch {
                failure = String(describing: error)
            }
            attempts += 1
            let now = context.clock.now()
            let succeeded = failure == nil
            let delay = attempts <= delays.count ? delays[attempts - 1] : nil
            let status = succeeded ? "delivered" : (delay == nil ? "failed" : "pending")
            let next = now.addingTimeInterval(delay ?? 0)
            let (code, error, id, count) = (statusCode, failure, delivery.deliveryID, attempts)
            try await context.database.write { session in
                try await session.webhookDeliveries.recordAttempt(id, status: status, attempts: count, nextAttemptAt: next, statusCode: code,
                                                                   error: error.map { String($0.prefix(500)) }, deliveredAt: succeeded ? now : nil)
            }
            if succeeded { return true }
            KeelMetrics.webhookFailed()
            context.logger.warning("alert webhook \(delivery.deliveryID) attempt \(attempts) failed: \(failure ?? "")")
            guard let delay, delay <= inlineRetryLimit else { return false }
            try await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000))
        }
    }
}

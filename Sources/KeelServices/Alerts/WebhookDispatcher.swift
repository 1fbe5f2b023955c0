import Foundation
import KeelStore

/// Delivers queued alert webhooks: each due delivery is POSTed once per run; a non-2xx answer or a network
/// error schedules the next attempt after the configured delay (on the injected clock), and the delivery is
/// given up after the last delay. Runs are jobs (`duty.webhook_delivery`: periodic, and queued by `kick()` after
/// a transaction that raised alerts), so a restart never loses a retry. Delivery is at least once: receivers
/// de-duplicate by `alert_id`.
public actor WebhookDispatcher {
    let context: ServiceContext
    let sender: any WebhookSender
    private var running = false
    private var again = false
    /// Queues a delivery run (set once the job queue exists); without it, `kick` runs one in this process.
    private nonisolated let kicker = LockedValue<(@Sendable () async -> Void)?>(nil)

    public init(context: ServiceContext, sender: any WebhookSender) {
        self.context = context
        self.sender = sender
    }

    nonisolated func setKicker(_ kick: @escaping @Sendable () async -> Void) {
        kicker.update { $0 = kick }
    }

    /// Asks for a delivery run soon (after a transaction that queued alerts has committed): queues a job, or
    /// without a job queue delivers now.
    public nonisolated func kick() async {
        if let kick = kicker.value { await kick() } else { _ = try? await deliverDue() }
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
        var statusCode: Int?
        var failure: String?
        do {
            statusCode = try await sender.post(url: delivery.url, json: delivery.payload)
            if !(200..<300).contains(statusCode ?? 0) { failure = "HTTP \(statusCode ?? 0)" }
        } catch {
            failure = String(describing: error)
        }
        let attempts = delivery.attempts + 1
        let now = context.clock.now()
        let succeeded = failure == nil
        let delay = attempts <= delays.count ? delays[attempts - 1] : nil
        let status = succeeded ? "delivered" : (delay == nil ? "failed" : "pending")
        let next = now.addingTimeInterval(delay ?? 0)
        let (code, error, id) = (statusCode, failure, delivery.deliveryID)
        try await context.database.write { session in
            try await session.webhookDeliveries.recordAttempt(id, status: status, attempts: attempts, nextAttemptAt: next, statusCode: code,
                                                               error: error.map { String($0.prefix(500)) }, deliveredAt: succeeded ? now : nil)
        }
        if succeeded { return true }
        KeelMetrics.webhookFailed()
        context.logger.warning("alert webhook \(delivery.deliveryID) attempt \(attempts) failed: \(failure ?? "")")
        return false
    }
}

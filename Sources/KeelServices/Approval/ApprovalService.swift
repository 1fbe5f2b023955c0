import Foundation
import KeelCore
import KeelStore

/// Reading, approving and rejecting batches, and expiring approvals that waited too long.
public struct ApprovalService: Sendable {
    let context: ServiceContext

    public init(context: ServiceContext) {
        self.context = context
    }

    public func get(_ batchID: String, by principal: Principal) async throws -> BatchRecord {
        try await expireIfDue(batchID)
        guard let batch = try await context.database.read({ try await $0.batches.find(batchID) }) else {
            throw ServiceError.notFound("batch \(batchID)", field: "batch_id")
        }
        try principal.ensureAccess(toClient: batch.clientID)
        return batch
    }

    public func list(clientID: Int?, status: BatchStatus?, limit: Int, by principal: Principal) async throws -> [BatchRecord] {
        if let clientID { try principal.ensureAccess(toClient: clientID) } else { try principal.ensureStaff() }
        let limit = try FieldValidation.range(limit, 1...500, field: "limit")
        return try await context.database.read { try await $0.batches.list(clientID: clientID, status: status, limit: limit) }
    }

    /// One page of the batches waiting for an advisor, newest first, and how many wait in all.
    public func queue(page: Int, pageSize: Int, by principal: Principal) async throws -> (batches: [BatchRecord], total: Int) {
        try principal.ensureStaff()
        let page = try FieldValidation.range(page, 1...100_000, field: "page")
        return try await context.database.read { session in
            (try await session.batches.list(clientID: nil, status: .pendingApproval, limit: pageSize, offset: (page - 1) * pageSize),
             try await session.batches.count(status: .pendingApproval))
        }
    }

    public func approve(_ batchID: String, by principal: Principal) async throws -> BatchRecord {
        try principal.ensureStaff()
        try await expireIfDue(batchID)
        let now = context.clock.now()
        let lifetime = context.settings.approvalLifetime
        return try await context.database.write { session in
            guard let batch = try await session.batches.findForUpdate(batchID, in: session) else {
                throw ServiceError.notFound("batch \(batchID)", field: "batch_id")
            }
            guard batch.status == .pendingApproval else { throw Self.stateError(batch, action: "approve") }
            let hash = BatchContentHash.compute(accountHash: batch.accountHash, orders: batch.orders)
            guard hash == batch.contentHash else {
                throw ServiceError.conflict("content_changed", "batch \(batchID) no longer matches its content hash; regenerate it")
            }
            let claimed = try await session.batches.transition(batchID, from: [.pendingApproval], to: .approved, at: now, setting: [
                "approved_by": principal.userID, "approved_at": now, "approved_hash": hash,
                "approval_expires_at": now.addingTimeInterval(lifetime),
            ])
            guard claimed else { throw ServiceError.conflict("batch_state_changed", "batch \(batchID) changed while approving; reload it") }
            try await session.audit("batch.approve", actor: principal.userID, entityType: "batch", entityID: batchID,
                                    clientID: batch.clientID, at: now, details: ["approved_hash": hash])
            try await session.alerts.resolve(kinds: [Self.awaitingApprovalAlert], clientID: batch.clientID, accountHash: batch.accountHash, at: now)
            guard let approved = try await session.batches.find(batchID) else { throw ServiceError.notFound("batch \(batchID)") }
            return approved
        }
    }

    public func reject(_ batchID: String, reason: String?, by principal: Principal) async throws -> BatchRecord {
        try principal.ensureStaff()
        let reason = try FieldValidation.requiredText(reason, field: "reason", maxLength: 500)
        try await expireIfDue(batchID)
        let now = context.clock.now()
        return try await context.database.write { session in
            guard let batch = try await session.batches.findForUpdate(batchID, in: session) else {
                throw ServiceError.notFound("batch \(batchID)", field: "batch_id")
            }
            guard batch.status == .pendingApproval || batch.status == .approved else { throw Self.stateError(batch, action: "reject") }
            let moved = try await session.batches.transition(batchID, from: [.pendingApproval, .approved], to: .rejected, at: now, setting: [
                "rejected_by": principal.userID, "rejected_at": now, "rejection_reason": reason,
            ])
            guard moved else { throw ServiceError.conflict("batch_state_changed", "batch \(batchID) changed while rejecting; reload it") }
            try await session.audit("batch.reject", actor: principal.userID, entityType: "batch", entityID: batchID,
                                    clientID: batch.clientID, at: now, details: ["reason": reason])
            try await session.alerts.resolve(kinds: [Self.awaitingApprovalAlert], clientID: batch.clientID, accountHash: batch.accountHash, at: now)
            guard let rejected = try await session.batches.find(batchID) else { throw ServiceError.notFound("batch \(batchID)") }
            return rejected
        }
    }

    /// Moves a waiting or approved batch past its approval deadline to `expired`, in its own transaction so
    /// the expiry is kept even when the caller's action then fails.
    public func expireIfDue(_ batchID: String) async throws {
        let now = context.clock.now()
        try await context.database.write { session in
            guard let batch = try await session.batches.find(batchID),
                  batch.status == .pendingApproval || batch.status == .approved,
                  let deadline = batch.approvalExpiresAt, deadline <= now else { return }
            if try await session.batches.transition(batchID, from: [.pendingApproval, .approved], to: .expired, at: now,
                                                    setting: ["error": "approval window ended at \(ISO8601DateFormatter().string(from: deadline))"]) {
                try await session.audit("batch.expire", actor: "system", entityType: "batch", entityID: batchID,
                                        clientID: batch.clientID, at: now)
            }
        }
    }

    /// Raised by the autonomous cycle for a batch left waiting; resolved once an advisor approves or rejects it.
    static let awaitingApprovalAlert = "batch_awaiting_approval"

    static func stateError(_ batch: BatchRecord, action: String) -> ServiceError {
        switch batch.status {
        case .expired:
            ServiceError.conflict("approval_expired", "batch \(batch.batchID) expired; regenerate it with a new rebalance")
        default:
            ServiceError.conflict("invalid_batch_state", "cannot \(action) batch \(batch.batchID): it is \(batch.status.rawValue)")
        }
    }
}

import Foundation
import KeelCore
import KeelStore

/// An advisor's manual controls of one client: pause and resume its autonomous trading, and override its
/// strategy until a time, with a reason. Every change is audited; the cycle reads them at every step.
public struct ClientControlService: Sendable {
    let context: ServiceContext

    public init(context: ServiceContext) {
        self.context = context
    }

    public func control(clientID: Int, by principal: Principal) async throws -> ClientControlRecord {
        try principal.ensureAccess(toClient: clientID)
        let now = context.clock.now()
        return try await context.database.read { session in
            guard try await session.clients.find(clientID) != nil else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
            return try await session.autonomy.control(clientID: clientID) ?? ClientControlRecord(clientID: clientID, updatedAt: now)
        }
    }

    public func pause(clientID: Int, reason: String?, by principal: Principal) async throws -> ClientControlRecord {
        try principal.ensureStaff()
        let reason = try reason.map { try FieldValidation.requiredText($0, field: "reason", maxLength: 500) }
        return try await change(clientID: clientID, action: "client.pause", by: principal, details: ["reason": reason ?? ""]) { control, now in
            control.paused = true
            control.pauseReason = reason
            control.pausedBy = principal.userID
            control.pausedAt = now
        }
    }

    public func resume(clientID: Int, by principal: Principal) async throws -> ClientControlRecord {
        try principal.ensureStaff()
        return try await change(clientID: clientID, action: "client.resume", by: principal, details: [:]) { control, _ in
            control.paused = false
            control.pauseReason = nil
        }
    }

    public func setOverride(clientID: Int, strategy: String?, until: Date?, reason: String?, by principal: Principal) async throws -> ClientControlRecord {
        try principal.ensureStaff()
        let now = context.clock.now()
        guard let name = strategy?.trimmingCharacters(in: .whitespaces), !name.isEmpty else {
            throw ServiceError.invalid("strategy", "strategy is required: one of \(StrategyKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let kind = StrategyKind(rawValue: name) else {
            throw ServiceError.invalid("strategy", "strategy must be one of \(StrategyKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let until else { throw ServiceError.invalid("until", "until is required: the time the override ends") }
        guard until > now else { throw ServiceError.invalid("until", "until must be in the future") }
        guard until <= now.addingTimeInterval(366 * 86_400) else { throw ServiceError.invalid("until", "until must be within a year") }
        let reason = try FieldValidation.requiredText(reason, field: "reason", maxLength: 500)
        return try await change(clientID: clientID, action: "client.strategy_override", by: principal,
                                details: ["strategy": kind.rawValue, "until": ISO8601DateFormatter().string(from: until), "reason": reason]) { control, now in
            control.overrideStrategy = kind.rawValue
            control.overrideUntil = until
            control.overrideReason = reason
            control.overrideBy = principal.userID
            control.overrideAt = now
        }
    }

    public func clearOverride(clientID: Int, by principal: Principal) async throws -> ClientControlRecord {
        try principal.ensureStaff()
        return try await change(clientID: clientID, action: "client.strategy_override_clear", by: principal, details: [:]) { control, _ in
            control.overrideStrategy = nil
            control.overrideUntil = nil
            control.overrideReason = nil
        }
    }

    private func change(clientID: Int, action: String, by principal: Principal, details: [String: String],
                        _ apply: @escaping @Sendable (inout ClientControlRecord, Date) -> Void) async throws -> ClientControlRecord {
        let now = context.clock.now()
        return try await context.database.write { session in
            guard try await session.clients.find(clientID) != nil else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
            var control = try await session.autonomy.lockControl(clientID: clientID, at: now, in: session)
            apply(&control, now)
            control.updatedAt = now
            try await session.autonomy.save(control)
            try await session.audit(action, actor: principal.userID, entityType: "client", entityID: String(clientID), clientID: clientID,
                                    at: now, details: details)
            return control
        }
    }
}

import Foundation
import KeelCore
import KeelStore

/// Strategy instances: the strategies a user runs (trades name them by `strategy_id`). Goal instances are
/// created and switched by the goal evaluator; users create their own here.
public struct StrategyInstanceService: Sendable {
    let context: ServiceContext

    public init(context: ServiceContext) {
        self.context = context
    }

    public func create(_ input: StrategyInstanceInput, by principal: Principal) async throws -> StrategyInstanceRecord {
        let userID = try FieldValidation.requiredText(input.userID ?? (principal.role.isStaff ? nil : principal.userID), field: "user_id")
        if !principal.role.isStaff, userID != principal.userID { throw ServiceError.forbidden }
        let kinds = StrategyKind.allCases.map(\.rawValue)
        let type = try FieldValidation.oneOf(try FieldValidation.requiredText(input.strategyType, field: "strategy_type"), kinds, field: "strategy_type")
        let name = try FieldValidation.requiredText(input.name ?? type, field: "name", maxLength: 120)
        let parameters = input.parameters ?? "{}"
        guard let data = parameters.data(using: .utf8), (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
            throw ServiceError.invalid("parameters", "parameters must be a JSON object")
        }
        let now = context.clock.now()
        let record = StrategyInstanceRecord(strategyID: "strat-" + UUID().uuidString.lowercased().prefix(18), userID: userID, strategyType: type,
                                            name: name, goalID: nil, status: "active", selectionReason: "created by \(principal.userID)",
                                            parameters: parameters, createdAt: now, updatedAt: now)
        try await context.database.write { session in
            try await session.strategyInstances.insert(record)
            try await session.audit("strategy_instance.create", actor: principal.userID, entityType: "strategy_instance", entityID: record.strategyID,
                                    clientID: nil, at: now, details: ["strategy_type": type, "user_id": userID])
        }
        return record
    }

    public func get(_ strategyID: String, by principal: Principal) async throws -> StrategyInstanceRecord {
        guard let record = try await context.database.read({ try await $0.strategyInstances.find(strategyID) }) else {
            throw ServiceError.notFound("strategy instance \(strategyID)", field: "strategy_id")
        }
        if !principal.role.isStaff, record.userID != principal.userID { throw ServiceError.forbidden }
        return record
    }

    public func list(userID: String?, by principal: Principal) async throws -> [StrategyInstanceRecord] {
        let user = try FieldValidation.requiredText(userID ?? (principal.role.isStaff ? nil : principal.userID), field: "user_id")
        if !principal.role.isStaff, user != principal.userID { throw ServiceError.forbidden }
        return try await context.database.read { try await $0.strategyInstances.list(userID: user) }
    }

    public func retire(_ strategyID: String, by principal: Principal) async throws -> StrategyInstanceRecord {
        var record = try await get(strategyID, by: principal)
        guard record.goalID == nil else {
            throw ServiceError.conflict("goal_strategy", "strategy \(strategyID) follows its goal; cancel the goal instead")
        }
        record.status = "retired"
        record.updatedAt = context.clock.now()
        let saved = record
        try await context.database.write { try await $0.strategyInstances.save(saved) }
        return record
    }
}

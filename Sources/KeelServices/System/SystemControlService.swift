import Foundation
import KeelStore

public struct TradingSwitches: Sendable, Hashable {
    public var killSwitchEngaged: Bool
    public var tradingPaused: Bool
}

/// The kill switch and the pause: operator controls that stop orders before any broker call.
public struct SystemControlService: Sendable {
    let context: ServiceContext

    public init(context: ServiceContext) {
        self.context = context
    }

    public func switches() async throws -> TradingSwitches {
        try await context.database.read { session in
            TradingSwitches(killSwitchEngaged: try await session.operations.state(.killSwitch) == "engaged",
                            tradingPaused: try await session.operations.state(.tradingPaused) == "paused")
        }
    }

    public func setKillSwitch(engaged: Bool, reason: String?, by principal: Principal) async throws -> TradingSwitches {
        try principal.ensureStaff()
        try await set(.killSwitch, engaged ? "engaged" : "released", reason: reason, by: principal)
        return try await switches()
    }

    public func setPaused(_ paused: Bool, reason: String?, by principal: Principal) async throws -> TradingSwitches {
        try principal.ensureStaff()
        try await set(.tradingPaused, paused ? "paused" : "running", reason: reason, by: principal)
        return try await switches()
    }

    private func set(_ key: SystemStateKey, _ value: String, reason: String?, by principal: Principal) async throws {
        let now = context.clock.now()
        try await context.database.write { session in
            try await session.operations.setState(key, to: value, by: principal.userID, at: now)
            try await session.audit("system.\(key.rawValue)", actor: principal.userID, entityType: "system", entityID: key.rawValue,
                                    clientID: nil, at: now, details: ["value": value, "reason": reason ?? ""])
        }
    }
}

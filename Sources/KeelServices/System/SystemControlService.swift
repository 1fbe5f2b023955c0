import Foundation
import KeelBrokers
import KeelStore

public struct TradingSwitches: Sendable, Hashable {
    public var killSwitchEngaged: Bool
    public var tradingPaused: Bool
}

/// The kill switch and the pause: operator controls that stop orders before any broker call.
public struct SystemControlService: Sendable {
    let context: ServiceContext
    let brokers: BrokerRegistry?

    public init(context: ServiceContext, brokers: BrokerRegistry? = nil) {
        self.context = context
        self.brokers = brokers
    }

    public func switches() async throws -> TradingSwitches {
        try await context.database.read { session in
            let stops = try await session.operations.tradingStops()
            return TradingSwitches(killSwitchEngaged: stops.killSwitch, tradingPaused: stops.paused)
        }
    }

    public func setKillSwitch(engaged: Bool, reason: String?, by principal: Principal) async throws -> TradingSwitches {
        try principal.ensureStaff()
        try await set(.killSwitch, engaged ? "engaged" : "released", reason: reason, by: principal)
        if engaged { try await cancelOpenOrders(by: principal) }
        return try await switches()
    }

    public func setPaused(_ paused: Bool, reason: String?, by principal: Principal) async throws -> TradingSwitches {
        try principal.ensureStaff()
        try await set(.tradingPaused, paused ? "paused" : "running", reason: reason, by: principal)
        return try await switches()
    }

    /// Engaging the kill switch also cancels every order still working at a broker (e.g. waiting for the open);
    /// each cancellation is recorded like any broker call. Returns how many were cancelled.
    @discardableResult
    func cancelOpenOrders(by principal: Principal) async throws -> Int {
        guard let brokers else { return 0 }
        let working = try await context.database.read { try await $0.batches.orders(statuses: [.working, .partiallyFilled]) }
        var cancelled = 0
        var touched: [String: Int] = [:]
        for order in working {
            let found = try await context.database.read { session -> (BatchRecord, AccountRecord, ClientRecord)? in
                guard let batch = try await session.batches.find(order.batchID), let account = try await session.accounts.find(hash: batch.accountHash),
                      let client = try await session.clients.find(batch.clientID) else { return nil }
                return (batch, account, client)
            }
            guard let (batch, account, client) = found, let broker = try? brokers.broker(for: account) else { continue }
            let updated = try await OrderCancellation(context: context).cancel(order, batch: batch, account: account, client: client, broker: broker,
                                                                              actor: principal.userID, reason: "kill switch")
            if updated?.status == .cancelled { cancelled += 1 }
            touched[batch.batchID] = batch.clientID
        }
        // A batch left working or needs_reconciliation only by these orders is settled now (failed, or partially executed
        // with what filled), on both databases alike; one still executing is settled by its executor.
        for (batchID, clientID) in touched.sorted(by: { $0.key < $1.key }) {
            try await BatchSettlement(context: context).settleIfResolved(batchID: batchID, clientID: clientID, by: principal.userID)
        }
        return cancelled
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

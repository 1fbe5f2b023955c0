import Foundation
import KeelCore
import KeelStore

/// Deposits and withdrawals. Performance, drawdown and the risk limits are measured on the time-weighted NAV
/// (`TimeWeightedNAV`), so every external flow must be booked here:
/// - paper account: the flow moves the paper broker's cash and Keel's ledger cash, with the flow row, in one
///   transaction under the account's lock (a withdrawal beyond the ledger cash is refused);
/// - Schwab account: the money moves at Schwab; the flow is booked for performance only (the next account sync
///   brings the cash). Schwab's transfer history is not imported automatically: book each transfer here.
public struct CashFlowService: Sendable {
    let context: ServiceContext
    /// Largest single flow; larger amounts are almost certainly a typo.
    static let maximumAmount: Decimal = 1_000_000_000

    public init(context: ServiceContext) {
        self.context = context
    }

    public func record(accountHash: String, amount: Decimal?, note: String?, by principal: Principal) async throws -> CashFlowRecord {
        guard let amount else { throw ServiceError.invalid("amount", "amount is required: positive for a deposit, negative for a withdrawal") }
        let checked = try FieldValidation.ledger(amount, field: "amount", range: -Self.maximumAmount...Self.maximumAmount, scale: 2)
        guard checked != 0 else { throw ServiceError.invalid("amount", "amount must not be zero") }
        let note = try note.map { try FieldValidation.requiredText($0, field: "note", maxLength: 200) }
        let now = context.clock.now()
        return try await context.database.write { session in
            guard let account = try await session.accounts.lock(hash: accountHash, in: session) else {
                throw ServiceError.notFound("account \(accountHash)", field: "account_hash")
            }
            try principal.ensureAccess(toClient: account.clientID)
            let isPaper = account.brokerage.brokerageID == AccountService.paperBrokerageID
            if isPaper {
                if checked < 0, account.cash + checked < 0 {
                    throw ServiceError.conflict("insufficient_cash", "the account holds \(account.cash) in cash; a withdrawal of \(-checked) needs sales first",
                                                field: "amount")
                }
                guard try await session.paperBroker.lockAccount(accountID: accountHash, in: session) != nil else {
                    throw ServiceError.notFound("paper books of account \(accountHash)", field: "account_hash")
                }
                try await session.paperBroker.transfer(accountID: accountHash, amount: checked)
                try await session.accounts.setCash(hash: accountHash, cash: account.cash + checked, at: now)
            }
            let flow = CashFlowRecord(flowID: UUID().uuidString.lowercased(), accountHash: accountHash, clientID: account.clientID,
                                      day: CivilDay(now).description, amount: checked, note: note, recordedBy: principal.userID, createdAt: now)
            try await session.cashFlows.insert(flow)
            try await session.audit(checked > 0 ? "account.deposit" : "account.withdrawal", actor: principal.userID, entityType: "account",
                                    entityID: accountHash, clientID: account.clientID, at: now,
                                    details: ["amount": checked.description, "flow_id": flow.flowID, "moves_cash": isPaper ? "paper ledger" : "booked only (Schwab)"])
            return flow
        }
    }

    public func list(accountHash: String, by principal: Principal) async throws -> [CashFlowRecord] {
        try await context.database.read { session in
            guard let account = try await session.accounts.find(hash: accountHash) else {
                throw ServiceError.notFound("account \(accountHash)", field: "account_hash")
            }
            try principal.ensureAccess(toClient: account.clientID)
            return try await session.cashFlows.list(accountHash: accountHash, limit: 500)
        }
    }
}

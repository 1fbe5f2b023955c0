import Foundation
import KeelCore
import KeelStore

/// The value a goal is measured on, read inside the caller's transaction.
/// - account goal: the account's cash plus positions at the latest stored prices;
/// - client goal without an account: the same over all the client's accounts;
/// - user goal: the starting value plus the P&L of the user's trades entered inside the period (closed trades
///   realised; open trades marked at the latest stored price, or at their entry price when the symbol has none).
enum GoalScopeValue {
    static func value(of goal: GoalRecord, session: Session) async throws -> Decimal {
        if let clientID = goal.clientID {
            return try await accountsValue(accountHash: goal.accountHash, clientID: clientID, session: session) ?? goal.scopeValue
        }
        return goal.startingValue + (try await tradeProfit(userID: goal.userID, from: goal.periodStart, to: goal.periodEnd, session: session))
    }

    /// The values of many goals, by goal id: the account goals' accounts, positions and prices read with one query
    /// each; client-wide and user goals (few) one by one. A goal whose account is gone is absent.
    static func values(of goals: [GoalRecord], session: Session) async throws -> [String: Decimal] {
        let accountGoals = goals.filter { $0.clientID != nil && $0.accountHash != nil }
        let hashes = Array(Set(accountGoals.compactMap(\.accountHash))).sorted()
        let accounts = try await session.accounts.find(hashes: hashes)
        let positions = try await session.ledger.positions(accountHashes: hashes)
        let symbols = Set(positions.values.flatMap { $0.map(\.symbol) })
        let prices = try await session.marketBars.latestPrices(symbols: symbols.sorted()).mapValues { Decimal(exactly: $0.close) }
        var values: [String: Decimal] = [:]
        for goal in accountGoals {
            guard let hash = goal.accountHash, let account = accounts[hash] else { continue }
            values[goal.goalID] = PortfolioSnapshot(cash: account.cash, holdings: (positions[hash] ?? []).map(\.holding), prices: prices).totalValue
        }
        for goal in goals where goal.clientID == nil || goal.accountHash == nil {
            values[goal.goalID] = try await value(of: goal, session: session)
        }
        return values
    }

    /// One account's value, or with no account all the client's accounts together; nil when the account is gone.
    static func accountsValue(accountHash: String?, clientID: Int, session: Session) async throws -> Decimal? {
        let accounts: [AccountRecord]
        if let accountHash {
            guard let account = try await session.accounts.find(hash: accountHash) else { return nil }
            accounts = [account]
        } else {
            accounts = try await session.accounts.list(clientID: clientID)
        }
        var total = Decimal(0)
        for account in accounts {
            total += try await PortfolioState.snapshot(account: account, extraSymbols: [], session: session).0.totalValue
        }
        return total
    }

    /// Realised plus unrealised P&L of the trades a user entered in [from, to].
    static func tradeProfit(userID: String, from: Date, to: Date?, session: Session) async throws -> Decimal {
        let trades = try await session.ledger.trades(userID: userID, enteredSince: from).filter { trade in to.map { trade.entryTime < $0 } ?? true }
        let open = trades.filter { $0.status == .open }
        let marks = try await session.marketBars.latestPrices(symbols: Array(Set(open.map(\.symbol))))
        var profit = Decimal(0)
        for trade in trades {
            switch trade.status {
            case .closed:
                profit += trade.profitLoss ?? 0
            case .open:
                guard let mark = marks[trade.symbol].map({ Decimal(exactly: $0.close) }) else {
                    profit -= trade.fees
                    continue
                }
                let move = trade.side == TradeSide.short.rawValue ? trade.entryPrice - mark : mark - trade.entryPrice
                profit += move * trade.quantity - trade.fees
            }
        }
        return profit
    }
}

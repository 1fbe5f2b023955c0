import Foundation
import KeelCore
import KeelStore

/// What the workspace's client pages show, read in one pass: the searchable directory and one client's book.
public struct ClientWorkspace: Sendable {
    let context: ServiceContext

    public init(context: ServiceContext) {
        self.context = context
    }

    public struct DirectoryRow: Sendable {
        public var client: ClientRecord
        public var accounts: Int
        public var value: Double
    }

    public struct Directory: Sendable {
        public var rows: [DirectoryRow]
        public var total: Int
        public var page: Int
        public var pageSize: Int
    }

    /// Clients whose name or email contains `query` (all when empty), `pageSize` at a time, with their accounts' value.
    public func directory(query raw: String?, page rawPage: Int?, pageSize: Int = 50, by principal: Principal) async throws -> Directory {
        try principal.ensureStaff()
        let query = String((raw ?? "").trimmingCharacters(in: .whitespaces).prefix(100))
        let page = try FieldValidation.range(rawPage ?? 1, 1...100_000, field: "page")
        return try await context.database.read { session in
            let total = try await session.clients.count(matching: query)
            let clients = try await session.clients.search(matching: query, limit: pageSize, offset: (page - 1) * pageSize)
            let values = try await session.book.clientValues(clientIDs: clients.map(\.clientID))
            let prices = try await session.marketBars.latestPrices(symbols: Array(Set(values.values.flatMap { $0.holdings.keys })))
            let rows = clients.map { client -> DirectoryRow in
                let book = values[client.clientID]
                let invested = book?.holdings.reduce(0.0) { $0 + $1.value * (prices[$1.key]?.close ?? 0) } ?? 0
                return DirectoryRow(client: client, accounts: book?.accounts ?? 0, value: (book?.cash ?? 0) + invested)
            }
            return Directory(rows: rows, total: total, page: page, pageSize: pageSize)
        }
    }

    public struct Holding: Sendable {
        public var symbol: String
        public var quantity: Double
        public var price: Double?
        public var value: Double
        public var weight: Double
        public var target: Double?
    }

    public struct Detail: Sendable {
        public var client: ClientRecord
        public var preferences: PreferencesRecord?
        public var portfolioName: String
        public var accounts: [(account: AccountRecord, value: Double)]
        public var holdings: [Holding]
        /// The client's accounts together, day by day since the first was opened (rebuilt from the fills).
        public var equity: [EquityReconstruction.Day]
        public var goals: [GoalRecord]
        /// The progress history of the first goals shown (by goal id).
        public var goalHistory: [String: [GoalHistoryRecord]]
        public var batches: [BatchRecord]
        public var audit: [AuditEntry]
    }

    /// One client's book. A client login sees only its own.
    public func detail(clientID: Int, by principal: Principal) async throws -> Detail {
        try principal.ensureAccess(toClient: clientID)
        return try await context.database.read { session in
            guard let client = try await session.clients.find(clientID) else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
            let preferences = try await session.preferences.find(clientID: clientID)
            var portfolio: ModelPortfolioDefinition?
            if let preferences { portfolio = try await session.referenceData.modelPortfolio(preferences.portfolioID) }
            let accounts = try await session.accounts.list(clientID: clientID)
            var held: [String: [PositionRecord]] = [:]
            for account in accounts { held[account.accountHash] = try await session.ledger.positions(accountHash: account.accountHash) }
            var positions: [String: Double] = [:]
            for position in held.values.joined() { positions[position.symbol, default: 0] += NSDecimalNumber(decimal: position.quantity).doubleValue }
            let prices = try await session.marketBars.latestPrices(symbols: Array(positions.keys))
            let accountValues: [(AccountRecord, Double)] = accounts.map { account in
                let invested = (held[account.accountHash] ?? [])
                    .reduce(0.0) { $0 + NSDecimalNumber(decimal: $1.quantity).doubleValue * (prices[$1.symbol]?.close ?? 0) }
                return (account, NSDecimalNumber(decimal: account.cash).doubleValue + invested)
            }
            let total = accountValues.reduce(0) { $0 + $1.1 }
            let batches = try await session.batches.list(clientID: clientID, status: nil, limit: 20)
            // Targets: the latest batch's plan (what the strategy wanted when it last planned).
            let targets = batches.first.flatMap { PlanNotes.decode($0.planNotes)?.targetWeights } ?? [:]
            let holdings = Set(positions.keys).union(targets.keys).sorted().map { symbol -> Holding in
                let quantity = positions[symbol] ?? 0
                let price = prices[symbol]?.close
                let value = quantity * (price ?? 0)
                return Holding(symbol: symbol, quantity: quantity, price: price, value: value, weight: total > 0 ? value / total : 0, target: targets[symbol])
            }
            let goals = try await session.goals.list(userID: nil, clientID: clientID, limit: 50)
            var histories: [String: [GoalHistoryRecord]] = [:]
            for goal in goals.prefix(6) { histories[goal.goalID] = try await session.goals.history(goalID: goal.goalID, limit: 400) }
            let equity = try await Self.equitySinceInception(accounts: accounts, session: session, benchmark: context.settings.cycle.regimeSymbol,
                                                             now: context.clock.now())
            return Detail(client: client, preferences: preferences, portfolioName: portfolio?.name ?? "–", accounts: accountValues, holdings: holdings,
                          equity: equity, goals: goals, goalHistory: histories,
                          batches: batches, audit: try await session.operations.audit(clientID: clientID, limit: 30))
        }
    }

    /// The accounts' value on every trading day (the benchmark's bar days) since the oldest was opened, rebuilt
    /// backwards from today's books through their fills, at the stored closes; summed over the accounts.
    static func equitySinceInception(accounts: [AccountRecord], session: Session, benchmark: String, now: Date) async throws -> [EquityReconstruction.Day] {
        guard let opened = accounts.map(\.createdAt).min() else { return [] }
        func day(_ date: Date) -> Date { CivilDay(date).date }
        var fills: [String: [EquityReconstruction.Fill]] = [:]
        var holdings: [String: [String: Double]] = [:]
        var symbols = Set<String>()
        var inception = opened
        for account in accounts {
            fills[account.accountHash] = try await session.ledger.fills(accountHash: account.accountHash).map { fill in
                symbols.insert(fill.symbol)
                let quantity = NSDecimalNumber(decimal: fill.quantity).doubleValue
                return .init(at: fill.filledAt, symbol: fill.symbol, quantity: fill.side == .sell ? -quantity : quantity,
                             price: NSDecimalNumber(decimal: fill.price).doubleValue, commission: NSDecimalNumber(decimal: fill.commission).doubleValue)
            }
            if let first = fills[account.accountHash]?.map(\.at).min() { inception = min(inception, first) }
            for position in try await session.ledger.positions(accountHash: account.accountHash) {
                symbols.insert(position.symbol)
                holdings[account.accountHash, default: [:]][position.symbol, default: 0] += NSDecimalNumber(decimal: position.quantity).doubleValue
            }
        }
        let start = day(inception)
        let series = try await session.marketBars.history(symbols: Array(symbols.union([benchmark])).sorted(), since: start)
        var closes: [String: [(date: Date, close: Double)]] = [:]
        for bars in series { closes[bars.symbol] = zip(bars.timestamps, bars.close).map { ($0, $1) } }
        // The trading calendar: the benchmark's days, else every day a held symbol traded; and today, so the curve ends on the book as it stands.
        var days = closes[benchmark]?.map { day($0.date) }
            ?? Array(Set(closes.values.flatMap { $0.map { day($0.date) } })).sorted()
        let today = day(now)
        if days.last.map({ $0 < today }) ?? true { days.append(today) }
        days = days.filter { $0 >= start && $0 <= today }
        var summed: [Date: Double] = [:]
        for account in accounts {
            let accountFills = fills[account.accountHash] ?? []
            let opened = day(min(account.createdAt, accountFills.map(\.at).min() ?? account.createdAt))
            let accountDays = days.filter { $0 >= opened }
            let curve = EquityReconstruction.curve(currentCash: NSDecimalNumber(decimal: account.cash).doubleValue, holdings: holdings[account.accountHash] ?? [:],
                                                   fills: accountFills, closes: closes, days: accountDays)
            for day in curve { summed[day.date, default: 0] += day.value }
        }
        var peak = -Double.infinity
        return summed.keys.sorted().map { date in
            let value = summed[date] ?? 0
            peak = max(peak, value)
            return EquityReconstruction.Day(date: date, value: value, drawdown: peak > 0 ? value / peak - 1 : 0)
        }
    }
}

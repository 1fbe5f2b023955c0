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
        public var valueHistory: [(date: Date, value: Double)]
        public var goals: [GoalRecord]
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
            var history: [String: Double] = [:]
            for account in accounts {
                for day in try await session.performance.history(accountHash: account.accountHash, limit: 400) { history[day.day, default: 0] += day.portfolioValue }
            }
            let valueHistory = history.keys.sorted().compactMap { day -> (Date, Double)? in
                guard let date = ISO8601DateFormatter().date(from: day + "T00:00:00Z") else { return nil }
                return (date, history[day] ?? 0)
            }
            return Detail(client: client, preferences: preferences, portfolioName: portfolio?.name ?? "–", accounts: accountValues, holdings: holdings,
                          valueHistory: valueHistory, goals: try await session.goals.list(userID: nil, clientID: clientID, limit: 50),
                          batches: batches, audit: try await session.operations.audit(clientID: clientID, limit: 30))
        }
    }
}

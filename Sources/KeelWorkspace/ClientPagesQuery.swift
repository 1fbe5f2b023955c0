import Foundation
import KeelCore
import KeelServices
import KeelStore
import KeelWeb

/// The workspace's client pages, each read in one pass: the searchable directory and one client's book.
public struct ClientPagesQuery: Sendable {
    let context: ServiceContext
    let schwabConfigured: Bool

    public init(context: ServiceContext, schwabConfigured: Bool) {
        self.context = context
        self.schwabConfigured = schwabConfigured
    }

    /// The directory for staff; a client login goes to its own page.
    public func directory(query: String?, page: Int?, onboarding: ClientListPage.Model.Onboarding = .init(), notice: String? = nil,
                          for reader: PageViewer) async throws -> PageOutcome<ClientListPage.Model> {
        guard reader.isStaff else {
            if let own = reader.principal.clientID { return .redirect(.client(own)) }
            return .staffOnly("Clients", "The client directory is for advisors.")
        }
        let directory = try await directory(query: query, page: min(max(page ?? 1, 1), 100_000), by: reader.principal)
        let rows = directory.rows.map { row in
            ClientListPage.Model.Row(clientID: row.client.clientID, name: "\(row.client.firstName) \(row.client.lastName)", email: row.client.email,
                                riskTolerance: row.client.riskTolerance, status: row.client.status.rawValue, accounts: row.accounts, value: row.value)
        }
        return .page(ClientListPage.Model(viewer: reader.viewer, query: query ?? "", page: directory.page, pageSize: directory.pageSize,
                                     total: directory.total, rows: rows, onboarding: onboarding, notice: notice))
    }

    /// One client's page; `preferencesForm` and `paperForm` carry what was typed when a save was refused. Another
    /// client's page and a missing one answer the same notice: nothing to learn from trying ids.
    public func detail(clientID: Int, preferencesForm typed: ClientDetailPage.Model.PreferencesForm? = nil, paperForm: ClientDetailPage.Model.PaperAccountForm = .init(),
                       done: String? = nil, error: String? = nil, for reader: PageViewer) async throws -> PageOutcome<ClientDetailPage.Model> {
        let detail: Detail
        do {
            detail = try await self.detail(clientID: clientID, by: reader.principal)
        } catch let error as ServiceError where error.kind == .forbidden || error.kind == .notFound {
            return .notice(title: "Client", message: "There is no such client, or it is not yours to see.", missing: true)
        }
        let preferences: [(label: String, value: String)] = detail.preferences.map { p in
            [("Model portfolio", detail.portfolioName), ("Max positions", "\(p.maxPositions)"), ("Max weight", Format.percent(p.maxWeight)),
             ("Cash buffer", Format.percent(p.cashBuffer)), ("Drift threshold", Format.percent(p.driftThreshold)),
             ("Approval", p.requireApproval ? "required" : "automatic"), ("Trading mode", p.tradingMode.rawValue),
             ("Drawdown limit", p.maxDrawdownLimit.map { Format.percent($0) } ?? "none"), ("Excluded", p.excludedSymbols.isEmpty ? "none" : p.excludedSymbols.joined(separator: ", "))]
        } ?? []
        // Staff edit the preferences; the form starts from what is stored.
        let form = typed ?? detail.preferences.flatMap { p -> ClientDetailPage.Model.PreferencesForm? in
            guard reader.isStaff else { return nil }
            return .init(values: ["portfolio_id": String(p.portfolioID), "max_positions": String(p.maxPositions), "max_weight": Self.number(p.maxWeight),
                                  "cash_buffer": Self.number(p.cashBuffer), "drift_threshold": Self.number(p.driftThreshold),
                                  "max_drawdown_limit": p.maxDrawdownLimit.map(Self.number) ?? "0", "derisk_action": p.deriskAction.rawValue,
                                  "trading_mode": p.tradingMode.rawValue, "excluded_symbols": p.excludedSymbols.joined(separator: ", ")],
                         requireApproval: p.requireApproval)
        }
        func double(_ value: Decimal) -> Double { NSDecimalNumber(decimal: value).doubleValue }
        return .page(ClientDetailPage.Model(
            viewer: reader.viewer, clientID: detail.client.clientID, name: "\(detail.client.firstName) \(detail.client.lastName)", email: detail.client.email,
            riskTolerance: detail.client.riskTolerance, portfolio: detail.portfolioName, preferences: preferences,
            accounts: detail.accounts.map { .init(accountHash: $0.account.accountHash, broker: $0.account.brokerage.code,
                                                  status: $0.account.isHalted ? "halted" : $0.account.status.rawValue, cash: double($0.account.cash), value: $0.value) },
            holdings: detail.holdings,
            equity: detail.equity.map { ($0.date, $0.value, $0.drawdown) },
            goals: detail.goals.map { goal in
                .init(name: goal.name, status: goal.status.rawValue, progress: goal.progressPct.isFinite ? goal.progressPct / 100 : nil,
                      history: (detail.goalHistory[goal.goalID] ?? []).map { ($0.recordedAt, $0.progressPct) },
                      link: WorkspaceRoute.goals.href(["user": goal.userID]))
            },
            batches: detail.batches.map { .init(batchID: $0.batchID, status: $0.status.rawValue, strategy: $0.strategy, orders: $0.orders.count, createdAt: $0.createdAt) },
            audit: detail.audit.map { .init(at: $0.at, action: $0.action, actor: $0.actor) }, tax: detail.tax,
            preferencesForm: form, portfolios: detail.portfolios.map { ($0.id, $0.name) }, paperForm: paperForm, schwabConfigured: schwabConfigured,
            notice: done.flatMap { ClientDetailPage.messages[$0] }, error: error.map { ClientDetailPage.messages[$0] ?? "The action failed." }))
    }

    /// A fraction as the form shows it: no trailing zeros.
    static func number(_ value: Double) -> String { String(format: "%g", value) }

    struct DirectoryRow: Sendable {
        public var client: ClientRecord
        public var accounts: Int
        public var value: Double
    }

    struct Directory: Sendable {
        public var rows: [DirectoryRow]
        public var total: Int
        public var page: Int
        public var pageSize: Int
    }

    /// Clients whose name or email contains `query` (all when empty), `pageSize` at a time, with their accounts' value.
    func directory(query raw: String?, page rawPage: Int?, pageSize: Int = 50, by principal: Principal) async throws -> Directory {
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

    struct Detail: Sendable {
        public var client: ClientRecord
        public var preferences: PreferencesRecord?
        public var portfolioName: String
        public var accounts: [(account: AccountRecord, value: Double)]
        public var holdings: [ClientDetailPage.Model.Holding]
        /// The client's accounts together, day by day since the first was opened (rebuilt from the fills).
        public var equity: [EquityReconstruction.Day]
        public var goals: [GoalRecord]
        /// The progress history of the first goals shown (by goal id).
        public var goalHistory: [String: [GoalHistoryRecord]]
        public var batches: [BatchRecord]
        public var audit: [AuditEntry]
        public var portfolios: [ModelPortfolioDefinition]
        public var tax: ClientDetailPage.Model.Tax?
    }

    /// One client's book. A client login sees only its own.
    func detail(clientID: Int, by principal: Principal) async throws -> Detail {
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
            let holdings = Set(positions.keys).union(targets.keys).sorted().map { symbol -> ClientDetailPage.Model.Holding in
                let quantity = positions[symbol] ?? 0
                let price = prices[symbol]?.close
                let value = quantity * (price ?? 0)
                return ClientDetailPage.Model.Holding(symbol: symbol, quantity: quantity, price: price, value: value, weight: total > 0 ? value / total : 0, target: targets[symbol])
            }
            let goals = try await session.goals.list(userID: nil, clientID: clientID, limit: 50)
            var histories: [String: [GoalHistoryRecord]] = [:]
            for goal in goals.prefix(6) { histories[goal.goalID] = try await session.goals.history(goalID: goal.goalID, limit: 400) }
            let equity = try await EquityHistory.sinceInception(accounts: accounts, session: session, benchmark: context.settings.cycle.regimeSymbol,
                                                             now: context.clock.now())
            return Detail(client: client, preferences: preferences, portfolioName: portfolio?.name ?? "–", accounts: accountValues, holdings: holdings,
                          equity: equity, goals: goals, goalHistory: histories,
                          batches: batches, audit: try await session.operations.audit(clientID: clientID, limit: 30),
                          portfolios: try await session.referenceData.modelPortfolios(),
                          tax: try await Self.taxYear(clientID: clientID, accounts: accounts, session: session, now: context.clock.now()))
        }
    }

    /// The tax year so far from the lot ledger: shown when an account is taxable or something was sold.
    static func taxYear(clientID: Int, accounts: [AccountRecord], session: Session, now: Date) async throws -> ClientDetailPage.Model.Tax? {
        let year = CivilDay(now).components.year
        let preferences = try await session.taxPreferences.find(clientIDs: [clientID])[clientID] ?? TaxPreferencesRecord(clientID: clientID)
        let taxable = accounts.contains { preferences.isTaxable(accountType: $0.accountType) }
        let realized = try await session.taxLots.realized(clientID: clientID, year: year)
        guard taxable || !realized.isEmpty else { return nil }
        let totals = RealizedTotals(realized.lazy.map(\.lot))
        var tax = ClientDetailPage.Model.Tax(year: year, taxable: taxable, shortTermGain: totals.shortTerm.doubleValue,
                                             longTermGain: totals.longTerm.doubleValue, washSaleDisallowed: totals.washDisallowed.doubleValue,
                                             lotsSold: realized.count, lotMethod: preferences.lotMethod.name)
        let harvests = try await session.taxHarvests.report(clientID: clientID, year: year).filter { $0.realizedLoss != nil }
        tax.harvesting = preferences.harvest
        tax.harvests = harvests.count
        tax.harvestedLoss = harvests.reduce(Decimal(0)) { $0 + ($1.realizedLoss ?? 0) }.doubleValue
        return tax
    }
}

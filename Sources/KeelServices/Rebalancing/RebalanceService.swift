import Foundation
import KeelCore
import KeelML
import KeelStore

/// Builds a rebalance batch: predictions -> target weights (strategy x preferences) -> orders from current
/// holdings, stored with a content hash in one transaction. An older open batch of the account is superseded.
public struct RebalanceService: Sendable {
    let context: ServiceContext
    let predictions: PredictionService
    let active: ActivePredictor
    /// Brings a live (Schwab) account's books up to date from the broker before planning.
    let accountSync: SchwabAccountSync?
    let goals: GoalService?

    public init(context: ServiceContext, predictor: any ReturnPredictor = MomentumBaselineModel(), accountSync: SchwabAccountSync? = nil,
                goals: GoalService? = nil, active: ActivePredictor? = nil) {
        self.context = context
        self.goals = goals
        let active = active ?? ActivePredictor(baseline: predictor, context: context)
        self.active = active
        self.predictions = PredictionService(context: context, predictor: predictor, active: active)
        self.accountSync = accountSync
    }

    public func rebalance(_ request: RebalanceRequest, by principal: Principal) async throws -> BatchRecord {
        try principal.ensureStaff()
        guard let clientID = request.clientID else { throw ServiceError.invalid("client_id", "client_id is required") }
        guard let accountHash = request.accountHash, !accountHash.isEmpty else { throw ServiceError.invalid("account_hash", "account_hash is required") }
        if let maxPositions = request.maxPositions { _ = try FieldValidation.range(maxPositions, 1...100, field: "max_positions") }
        guard let planned = try await rebalance([request], by: principal)[accountHash] else {
            throw ServiceError.notFound("account \(accountHash) of client \(clientID)", field: "account_hash")
        }
        return try planned.get()
    }

    /// Rebalances many accounts (the cycle's chunk): live (Schwab) accounts' books are brought up to date from the
    /// broker first, then every account is planned in one transaction. A sync that fails is that account's answer.
    func rebalance(_ requests: [RebalanceRequest], by principal: Principal) async throws -> [String: Result<BatchRecord, any Error>] {
        try principal.ensureStaff()
        // Positions (and, before a Schwab sync, lots) in new shares before anything is synced or planned at new prices.
        try await SplitLedger.applyDue(context: context)
        var failed: [String: Result<BatchRecord, any Error>] = [:]
        var planning = requests
        if let accountSync {
            let hashes = requests.compactMap(\.accountHash)
            let accounts = try await context.database.read { try await $0.accounts.find(hashes: hashes) }
            planning = []
            for request in requests {
                if let hash = request.accountHash, let account = accounts[hash], account.clientID == request.clientID,
                   account.brokerage.code == "schwab", account.status == .active {
                    do { try await accountSync.sync(account) } catch {
                        failed[hash] = .failure(error)
                        continue
                    }
                }
                planning.append(request)
            }
        }
        return try await plan(planning, by: principal).merging(failed) { planned, _ in planned }
    }

    /// Plans many accounts' batches in one transaction (the cycle's chunk, or one request): the books read with one
    /// query per kind, each plan made by the same pure code, the batches, their orders and the audit entries written
    /// with multi-row statements. An account whose books refuse a plan (inactive, halted, busy, no data) gets that
    /// error as its answer; the others get their batch. Artifact refusals are alerted once the transaction has ended.
    func plan(_ requests: [RebalanceRequest], by principal: Principal) async throws -> [String: Result<BatchRecord, any Error>] {
        let now = context.clock.now()
        let settings = context.settings
        let active = self.active
        let planned: [String: Result<BatchRecord, any Error>]
        do {
            planned = try await context.database.write { session in
                try await Self.plan(requests, principal: principal, session: session, active: active, settings: settings, now: now)
            }
        } catch {
            await active.raiseRefusalAlerts()
            throw error
        }
        await active.raiseRefusalAlerts()
        if planned.values.contains(where: { (try? $0.get()) != nil }) { await goals?.webhooks?.kick() }
        return planned
    }

    /// One account admitted to planning: its books passed the checks a plan needs.
    struct Admitted: Sendable {
        var request: RebalanceRequest
        var client: ClientRecord
        var account: AccountRecord
        var preferences: PreferencesRecord
        var requireApproval: Bool
        var portfolio: ModelPortfolioDefinition
        var symbols: [String]
        /// The universe's bars and the forecast made from them (set once they are read).
        var histories: [BarSeries] = []
        var forecast: [ReturnPrediction] = []
        var accountHash: String { account.accountHash }
        var clientID: Int { client.clientID }
        /// Planned by the deployed RL policy rather than from the forecast.
        var usesPolicy: Bool { request.strategy == .rlPolicy || (request.strategy == nil && portfolio.strategy == .rlPolicy) }
    }

    /// The books' steps in order: admit (the accounts' locks, client, account and preferences checks), forecast,
    /// goal steering, one pure plan per account, then supersede and store.
    private static func plan(_ requests: [RebalanceRequest], principal: Principal, session: Session, active: ActivePredictor,
                             settings: ServiceSettings, now: Date) async throws -> [String: Result<BatchRecord, any Error>] {
        var answers: [String: Result<BatchRecord, any Error>] = [:]
        let admitted = try await admit(requests, session: session, answers: &answers)
        guard !admitted.isEmpty else { return answers }
        let resolved = try await active.resolve(session: session)
        let withData = try await forecast(admitted, resolved: resolved, session: session, now: now, answers: &answers)
        guard !withData.isEmpty else { return answers }
        let steeringGoals = try await steeringGoals(for: withData, session: session, settings: settings, now: now)
        let (batches, superseded, harvests) = try await planEach(withData, steeringGoals: steeringGoals, resolved: resolved, active: active,
                                                                 principal: principal, session: session, settings: settings, now: now, answers: &answers)
        try await store(batches, superseding: superseded, harvests: harvests, principal: principal, session: session, now: now)
        return answers
    }

    /// Locks the accounts and checks what a plan needs of each: an active client, its active, unhalted account, its
    /// preferences (with the request's overrides) and model portfolio. A refusal is that account's answer.
    private static func admit(_ requests: [RebalanceRequest], session: Session,
                              answers: inout [String: Result<BatchRecord, any Error>]) async throws -> [Admitted] {
        let keyed = requests.compactMap { request -> (request: RebalanceRequest, clientID: Int, accountHash: String)? in
            guard let clientID = request.clientID, let accountHash = request.accountHash, !accountHash.isEmpty else { return nil }
            return (request, clientID, accountHash)
        }
        let hashes = keyed.map(\.accountHash), clientIDs = keyed.map(\.clientID)
        let clients = try await session.clients.find(ids: clientIDs)
        // The accounts' row locks serialise every planner, executor and ledger posting of these accounts: the
        // open-batch checks and the inserts that follow cannot interleave with another request's.
        let accounts = try await session.accounts.lock(hashes: hashes, in: session)
        let allPreferences = try await session.preferences.find(clientIDs: clientIDs)
        let portfolios = Dictionary(try await session.referenceData.modelPortfolios().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var admitted: [Admitted] = []
        for (request, clientID, accountHash) in keyed {
            do {
                guard let client = clients[clientID] else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
                guard client.status == .active else {
                    throw ServiceError.conflict("client_inactive", "client \(clientID) is deactivated", field: "client_id")
                }
                guard let account = accounts[accountHash], account.clientID == clientID else {
                    throw ServiceError.notFound("account \(accountHash) of client \(clientID)", field: "account_hash")
                }
                guard account.status == .active else {
                    throw ServiceError.conflict("account_unavailable", "account \(accountHash) is \(account.status.rawValue); reconnect it before rebalancing", field: "account_hash")
                }
                if let reason = account.haltedReason {
                    throw ServiceError.conflict("account_halted", "account \(accountHash) is halted: \(reason); resolve the reconciliation first", field: "account_hash")
                }
                guard var preferences = allPreferences[clientID] else { throw ServiceError.notFound("preferences of client \(clientID)") }
                if let maxPositions = request.maxPositions { preferences.maxPositions = maxPositions }
                if let portfolioID = request.portfolioID { preferences.portfolioID = portfolioID }
                guard let portfolio = portfolios[preferences.portfolioID] else { throw PredictionService.noPortfolio(preferences.portfolioID) }
                admitted.append(Admitted(request: request, client: client, account: account, preferences: preferences,
                                         requireApproval: request.requireApproval ?? preferences.requireApproval, portfolio: portfolio,
                                         symbols: PredictionService.universe(portfolio, preferences: preferences)))
            } catch {
                answers[accountHash] = .failure(error)
            }
        }
        return admitted
    }

    /// Reads each universe's history (shared across the cycle's accounts when the request carries a reader) and
    /// forecasts it; an account without enough history is refused.
    private static func forecast(_ admitted: [Admitted], resolved: ActivePredictor.Resolved, session: Session, now: Date,
                                 answers: inout [String: Result<BatchRecord, any Error>]) async throws -> [Admitted] {
        let predictor = resolved.predictor
        let since = now.addingTimeInterval(-400 * 86_400)
        var withData: [Admitted] = []
        for var account in admitted {
            let request = account.request, symbols = account.symbols
            let histories = if let shared = request.histories { try await shared(symbols, since, session) } else {
                try await session.marketBars.history(symbols: symbols, since: since)
            }
            let forecast = await request.forecasts?(resolved.modelID, symbols) { predictor.predict(histories: histories, asOf: now) }
                ?? predictor.predict(histories: histories, asOf: now)
            guard !forecast.isEmpty else {
                answers[account.accountHash] = .failure(ServiceError(.unavailable, code: "no_market_data",
                                                                     message: "not enough price history to plan a rebalance for \(account.portfolio.name)"))
                continue
            }
            account.histories = histories
            account.forecast = forecast
            withData.append(account)
        }
        return withData
    }

    /// Goals steer the batches: re-measured now (each goal once, however many of these accounts it touches); the
    /// goals that touch any of them, for each account's combined factor and chosen strategy family.
    private static func steeringGoals(for accounts: [Admitted], session: Session, settings: ServiceSettings, now: Date) async throws -> [GoalRecord] {
        let steered = accounts.filter { $0.request.useGoals ?? true }
        guard !steered.isEmpty else { return [] }
        let touching = steered.map { ($0.accountHash, $0.clientID, $0.client.tradingUserID) }
        let open = try await session.goals.goals(touchingAny: touching, statuses: [.active, .atRisk])
        try await GoalEvaluator(settings: settings).reevaluate(open.map(\.goalID), trigger: "rebalance", session: session, now: now)
        return try await session.goals.goals(touchingAny: touching, statuses: [.active, .atRisk, .achieved, .failed])
    }

    /// Reads the accounts' books once (positions, prices, instruments, open batches, the RL policy if any plan
    /// needs it) and plans each account with the pure `plan`: the new batches and the open ones they supersede.
    private static func planEach(_ accounts: [Admitted], steeringGoals: [GoalRecord], resolved: ActivePredictor.Resolved, active: ActivePredictor,
                                 principal: Principal, session: Session, settings: ServiceSettings, now: Date,
                                 answers: inout [String: Result<BatchRecord, any Error>]) async throws
        -> (batches: [BatchRecord], superseded: [(old: BatchRecord, by: String)], harvests: [(batchID: String, writes: HarvestWrites)]) {
        let positions = try await session.ledger.positions(accountHashes: accounts.map(\.accountHash))
        let taxBooks = try await TaxPlanning.books(for: accounts.map { ($0.account, $0.clientID) }, session: session, now: now)
        let held = Set(positions.values.joined().map(\.symbol))
        // The harvesting clients' substitutes are priced too: a harvest buys them.
        let substitutes = taxBooks.values.compactMap(\.harvesting).flatMap { $0.settings.substitutes.values }
        let universe = held.union(accounts.flatMap(\.symbols)).union(substitutes)
        let latest = try await session.marketBars.latestPrices(symbols: universe.sorted())
        let allInstruments = try await session.referenceData.instruments(universe.sorted())
        let openBatches = try await session.batches.list(accountHashes: accounts.map(\.accountHash), statuses: BatchStatus.open)
        let policy = accounts.contains(where: \.usesPolicy) ? try await active.resolvePolicy(session: session) : nil
        var batches: [BatchRecord] = []
        var superseded: [(old: BatchRecord, by: String)] = []
        var harvests: [(batchID: String, writes: HarvestWrites)] = []
        for account in accounts {
            do {
                let steering = (account.request.useGoals ?? true)
                    ? GoalSteering.forAccount(account.account, userID: account.client.tradingUserID, among: steeringGoals, now: now) : nil
                let accountPositions = positions[account.accountHash] ?? []
                func snapshot(pricing extra: [String]) -> (PortfolioSnapshot, [String: LatestPrice]) {
                    let priced = Set(accountPositions.map(\.symbol)).union(extra)
                    let prices = latest.filter { priced.contains($0.key) }
                    return (PortfolioSnapshot(cash: account.account.cash, holdings: accountPositions.map(\.holding),
                                              prices: prices.mapValues { Decimal(exactly: $0.close) }), prices)
                }
                let outcome = try plan(account, steering: steering, policy: policy, resolved: resolved, snapshot: snapshot, instruments: allInstruments,
                                       open: openBatches[account.accountHash] ?? [], tax: taxBooks[account.accountHash], principal: principal,
                                       settings: settings, now: now)
                switch outcome {
                case .existing(let batch):
                    answers[account.accountHash] = .success(batch)
                case .new(let batch, let supersedes, let writes):
                    batches.append(batch)
                    superseded += supersedes.map { ($0, batch.batchID) }
                    if !writes.new.isEmpty || !writes.swappedBack.isEmpty { harvests.append((batch.batchID, writes)) }
                    answers[account.accountHash] = .success(batch)
                }
            } catch {
                answers[account.accountHash] = .failure(error)
            }
        }
        return (batches, superseded, harvests)
    }

    /// Rejects the superseded batches, inserts the new ones with their orders and harvests, and audits both (multi-row
    /// statements).
    private static func store(_ batches: [BatchRecord], superseding superseded: [(old: BatchRecord, by: String)],
                              harvests: [(batchID: String, writes: HarvestWrites)], principal: Principal, session: Session, now: Date) async throws {
        var audits: [AuditEntry] = []
        for (old, newID) in superseded {
            _ = try await session.batches.transition(old.batchID, from: [.pendingApproval, .approved], to: .rejected, at: now, setting: [
                "rejected_by": "system", "rejected_at": now, "rejection_reason": "superseded by batch \(newID)",
            ])
            audits.append(AuditEntry(at: now, actor: principal.userID, action: "batch.supersede", entityType: "batch", entityID: old.batchID,
                                     clientID: old.clientID, details: try StoredJSON.encode(["superseded_by": newID])))
        }
        do {
            try await session.batches.insert(batches)
        } catch {
            // The unique open-batch index: another writer (e.g. a second process on SQLite) got there first.
            guard case StoreError.duplicate = StoreError.translate(error), batches.count == 1, let only = batches.first else { throw error }
            throw ServiceError.conflict("open_batch_exists", "account \(only.accountHash) already has an open batch; review or reject it first", field: "account_hash")
        }
        try await session.taxHarvests.insert(harvests.flatMap(\.writes.new))
        for (batchID, writes) in harvests { try await session.taxHarvests.markSwapBack(harvestIDs: writes.swappedBack, batchID: batchID) }
        for batch in batches {
            audits.append(AuditEntry(at: now, actor: principal.userID, action: "batch.create", entityType: "batch", entityID: batch.batchID,
                                     clientID: batch.clientID, details: try StoredJSON.encode([
                                        "orders": String(batch.orders.count), "status": batch.status.rawValue, "content_hash": batch.contentHash,
                                        "model_version": batch.modelVersion])))
        }
        try await session.operations.append(audits)
    }

    static func samePlan(_ stored: [BatchOrderRecord], _ planned: [PlannedOrder]) -> Bool {
        guard stored.count == planned.count else { return false }
        return zip(stored.sorted { $0.sequence < $1.sequence }, planned).allSatisfy { order, plan in
            order.symbol == plan.symbol && order.side == plan.side && order.quantity == plan.quantity && order.referencePrice == plan.referencePrice
        }
    }
}

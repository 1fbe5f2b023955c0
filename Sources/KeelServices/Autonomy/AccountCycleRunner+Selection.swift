import Foundation
import KeelCore
import KeelML
import KeelStore

/// The cycle's strategy-selection step over a chunk: risk limits on the time-weighted NAV, the pure selector, the
/// accounts' autonomy state.
extension AccountCycleRunner {
    /// Chooses each account's strategy for a chunk at once: the accounts locked and read, then clients, preferences,
    /// portfolios, controls, states, goals, performance, positions, prices, flows and high-water marks in one query each;
    /// the decisions are the pure selector's; the states are written in one statement (audits and alerts only where a
    /// switch, a breach or a recovery happened).
    func selectStrategies(cycle: CycleRunRecord, _ accounts: [(hash: String, clientID: Int)]) async throws -> ChunkAnswers<AccountCycleOutputs.Selection> {
        let now = context.clock.now()
        let settings = self.settings
        let performanceWindow = settings.performanceWindow
        return try await context.database.write(.outsideCachedReads) { session in
            let hashes = accounts.map(\.hash)
            let books = try await session.accounts.lock(hashes: hashes, in: session)
            let clients = try await session.clients.find(ids: accounts.map(\.clientID))
            let allPreferences = try await session.preferences.find(clientIDs: accounts.map(\.clientID))
            let portfolios = Dictionary(try await session.referenceData.modelPortfolios().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            let controls = try await session.autonomy.controls(clientIDs: accounts.map(\.clientID))
            let states = try await session.autonomy.states(accountHashes: hashes)
            let goals = try await session.goals.goals(touchingAny: accounts.map { ($0.hash, $0.clientID, clients[$0.clientID]?.tradingUserID) },
                                                      statuses: [.active, .atRisk, .achieved, .failed])
            let modelDeployed = try await session.models.deployed(family: .ml) != nil
            // Risk limits on the daily values so far plus each account's value now.
            let histories = try await session.performance.histories(accountHashes: hashes, limit: max(performanceWindow * 3, 60))
            let positions = try await session.ledger.positions(accountHashes: hashes)
            let latest = try await session.marketBars.latestPrices(symbols: Array(Set(positions.values.joined().map(\.symbol))).sorted())
            let prices = latest.mapValues { Decimal(exactly: $0.close) }
            // Judged on the time-weighted NAV: flows booked since the last row are neither gains nor losses.
            let flows = try await session.cashFlows.netFlows(after: Dictionary(hashes.map { ($0, histories[$0]?.last?.recordedAt) },
                                                                               uniquingKeysWith: { first, _ in first }), through: now)
            // The high-water mark since each limit was set, from every recorded day (not the window above): one query per
            // distinct day the limits were set on.
            var limited: [String?: [String]] = [:]
            for account in accounts {
                guard let preferences = allPreferences[account.clientID], preferences.maxDrawdownLimit != nil else { continue }
                limited[Self.limitDay(preferences), default: []].append(account.hash)
            }
            var peaks: [String?: [String: Double]] = [:]
            for (day, group) in limited { peaks[day] = try await session.performance.peakUnitValues(accountHashes: group, since: day) }

            var answers: ChunkAnswers<AccountCycleOutputs.Selection> = [:]
            var saved: [AccountAutonomyRecord] = []
            for (accountHash, clientID) in accounts {
                guard let account = books[accountHash], let client = clients[clientID], let preferences = allPreferences[clientID],
                      let portfolio = portfolios[preferences.portfolioID] else {
                    answers[accountHash] = .failure(ServiceError.notFound("account \(accountHash), its client or preferences"))
                    continue
                }
                let control = controls[clientID]
                let previous = states[accountHash]
                let steering = GoalSteering.forAccount(account, userID: client.tradingUserID, among: goals, now: now)
                let history = histories[accountHash] ?? []
                let snapshot = PortfolioSnapshot(cash: account.cash, holdings: (positions[accountHash] ?? []).map(\.holding), prices: prices)
                let valueNow = NSDecimalNumber(decimal: snapshot.totalValue).doubleValue
                let navNow = TimeWeightedNAV.next(previousNAV: history.last?.unitValue, previousValue: history.last?.portfolioValue, value: valueNow,
                                                  netFlow: NSDecimalNumber(decimal: flows[accountHash] ?? 0).doubleValue)
                let monitor = AccountRiskMonitor(maxDrawdown: preferences.maxDrawdownLimit, maxVolatility: preferences.maxVolatilityLimit)
                let wasDerisked = previous?.deriskedAt != nil
                // The high-water mark since the limit was set, from every recorded day (not the window above).
                let limitDay = Self.limitDay(preferences)
                // No row since the limit was set: today's NAV is the mark.
                let peak = preferences.maxDrawdownLimit == nil ? nil : peaks[limitDay]?[accountHash] ?? navNow
                let risk = monitor.assess(values: history.suffix(monitor.volatilityWindow + 1).map(\.unitValue) + [navNow], highWaterMark: peak,
                                          currentlyDerisked: wasDerisked)
                let derisked = risk.breached || (wasDerisked && !risk.recovered)

                let demoted = previous.flatMap { state -> StrategyKind? in
                    guard let until = state.demotedUntil, until > now else { return nil }
                    return state.demotedStrategy.flatMap(StrategyKind.init(rawValue:))
                }
                let override = control?.activeOverride(at: now).flatMap(StrategyKind.init(rawValue:))
                let inputs = StrategySelector.Inputs(
                    regime: cycle.regime.flatMap(MarketRegime.init(rawValue:)), regimeConfidence: cycle.regimeConfidence ?? 0,
                    goalStrategy: steering?.strategy, goalFactor: steering?.factor ?? 1, goalReason: steering?.strategyReason,
                    portfolioStrategy: portfolio.strategy, modelDeployed: modelDeployed, override: override, overrideReason: control?.overrideReason,
                    derisked: derisked, deriskAction: preferences.deriskAction == .cash ? .cash : .defensive,
                    deriskReason: risk.breached ? risk.reason : previous?.deriskReason, current: previous.flatMap { StrategyKind(rawValue: $0.strategy) },
                    currentSince: previous?.selectedAt, demoted: demoted, now: now)
                let decision = StrategySelector(settings: settings.selector).select(inputs)
                let portfolioID = decision.defensivePortfolio ? ModelPortfolioDefinition.defensiveID : preferences.portfolioID

                var state = previous ?? AccountAutonomyRecord(accountHash: accountHash, clientID: clientID, strategy: decision.strategy.rawValue,
                                                              portfolioID: portfolioID, reason: decision.reason, regime: cycle.regime, selectedAt: now,
                                                              switches: 0, deriskedAt: nil, deriskReason: nil, demotedStrategy: nil, demotedUntil: nil, updatedAt: now)
                if previous != nil, decision.switched {
                    state.switches += 1
                    state.selectedAt = now
                    try await session.audit("autonomy.strategy_switch", actor: Self.principal.userID, entityType: "account", entityID: accountHash,
                                            clientID: clientID, at: now,
                                            details: ["from": previous?.strategy ?? "", "to": decision.strategy.rawValue, "rule": decision.rule,
                                                      "reason": String(decision.reason.prefix(500)), "cycle_id": cycle.cycleID])
                }
                state.strategy = decision.strategy.rawValue
                state.portfolioID = portfolioID
                state.reason = decision.reason
                state.regime = cycle.regime
                state.updatedAt = now
                if risk.breached, !wasDerisked {
                    state.deriskedAt = now
                    state.deriskReason = risk.reason
                    try await session.audit("autonomy.derisk", actor: Self.principal.userID, entityType: "account", entityID: accountHash,
                                            clientID: clientID, at: now, details: ["reason": risk.reason, "action": preferences.deriskAction.rawValue])
                    try await AlertOutbox.raise(NewAlert(kind: Self.riskBreachAlert, severity: "warning", clientID: clientID, accountHash: accountHash,
                                                         message: "account \(accountHash): \(risk.reason); de-risked (\(preferences.deriskAction.rawValue)) until it recovers"),
                                                session: session, settings: self.context.settings, at: now)
                } else if wasDerisked, risk.recovered {
                    state.deriskedAt = nil
                    state.deriskReason = nil
                    try await session.audit("autonomy.recover", actor: Self.principal.userID, entityType: "account", entityID: accountHash,
                                            clientID: clientID, at: now, details: ["reason": risk.reason])
                    try await session.alerts.resolve(kinds: [Self.riskBreachAlert], clientID: clientID, accountHash: accountHash, at: now)
                }
                saved.append(state)
                answers[accountHash] = .success(.completed(AccountCycleOutputs.Selection(
                    strategy: decision.strategy.rawValue, portfolioID: portfolioID, riskFactor: decision.riskFactor, rule: decision.rule,
                    reason: decision.reason, switched: decision.switched, forced: decision.forced, regime: cycle.regime, risk: risk, derisked: derisked)))
            }
            try await session.autonomy.save(saved)
            return answers
        }
    }

    /// The civil day a drawdown limit was set (its high-water mark counts from then).
    static func limitDay(_ preferences: PreferencesRecord) -> String? {
        preferences.drawdownLimitSetAt.map { CivilDay($0).description }
    }
}

import Foundation
import KeelCore
import KeelML
import KeelStore

/// The cycle's performance-evaluation and adjustment steps over a chunk: one row per account and day, the running
/// strategy judged on its live record.
extension AccountCycleRunner {
    /// Today's value and return against the benchmark, one row per account and day, for a chunk at once: its accounts
    /// locked and read, then positions, prices, previous rows, flows, windows and peaks in one query each, and the
    /// day's rows in one statement.
    func evaluate(cycle: CycleRunRecord, _ accounts: [ChunkAccount]) async throws -> ChunkAnswers<AccountCycleOutputs.Performance> {
        let now = context.clock.now()
        let benchmark = cycle.regimeSymbol
        let windowDays = settings.performanceWindow, demotionThreshold = settings.demotionTStatistic, minimumDays = settings.minimumJudgedDays
        return try await context.database.write(.outsideCachedReads) { session in
            let hashes = accounts.map(\.hash)
            // Locked: a deposit or withdrawal (which locks its account too) lands wholly before or after the values and flows read here.
            let books = try await session.accounts.lock(hashes: hashes, in: session)
            let positions = try await session.ledger.positions(accountHashes: hashes)
            let symbols = Array(Set(positions.values.joined().map(\.symbol)).union([benchmark])).sorted()
            let latest = try await session.marketBars.latestPrices(symbols: symbols)
            let prices = latest.mapValues { Decimal(exactly: $0.close) }
            let close = latest[benchmark]?.close
            let previous = try await session.performance.histories(accountHashes: hashes, before: cycle.cycleDate, limit: 1).compactMapValues(\.last)
            let flows = try await session.cashFlows.netFlows(after: Dictionary(hashes.map { ($0, previous[$0]?.recordedAt) }, uniquingKeysWith: { first, _ in first }),
                                                             through: now)
            var answers: ChunkAnswers<AccountCycleOutputs.Performance> = [:]
            var rows: [AccountPerformanceRecord] = []
            for account in accounts {
                guard let book = books[account.hash] else {
                    answers[account.hash] = .failure(ServiceError.notFound("account \(account.hash)"))
                    continue
                }
                let snapshot = PortfolioSnapshot(cash: book.cash, holdings: (positions[account.hash] ?? []).map(\.holding), prices: prices)
                let value = NSDecimalNumber(decimal: snapshot.totalValue).doubleValue
                let before = previous[account.hash]
                let flow = NSDecimalNumber(decimal: flows[account.hash] ?? 0).doubleValue
                let daily = before.flatMap { TimeWeightedNAV.periodReturn(previousValue: $0.portfolioValue, value: value, netFlow: flow) }
                let nav = TimeWeightedNAV.next(previousNAV: before?.unitValue, previousValue: before?.portfolioValue, value: value, netFlow: flow)
                let benchmarkDaily: Double? = if let close, let last = before?.benchmarkClose, last > 0 { close / last - 1 } else { nil }
                rows.append(AccountPerformanceRecord(
                    accountHash: account.hash, clientID: account.clientID, day: cycle.cycleDate, strategy: account.strategy, portfolioValue: value,
                    dailyReturn: daily, benchmarkClose: close, benchmarkReturn: benchmarkDaily, cycleID: cycle.cycleID, recordedAt: now,
                    netFlow: flow, unitValue: nav))
            }
            try await session.performance.record(rows)
            // What the cycle judges the running strategy on, as of today: its window against the benchmark and the
            // account's drawdown from its high-water mark.
            let windows = try await session.performance.histories(accountHashes: rows.map(\.accountHash), limit: windowDays)
            let peaks = try await session.performance.peakUnitValues(accountHashes: rows.map(\.accountHash), since: nil)
            for row in rows {
                let window = Self.runningWindow(windows[row.accountHash] ?? [], strategy: row.strategy)
                let nav = row.unitValue
                let peak = peaks[row.accountHash] ?? nav
                answers[row.accountHash] = .success(.completed(AccountCycleOutputs.Performance(
                    day: cycle.cycleDate, portfolioValue: Decimal(exactly: row.portfolioValue).roundedToCents, dailyReturn: row.dailyReturn,
                    benchmarkReturn: row.benchmarkReturn, netFlow: Decimal(exactly: row.netFlow).roundedToCents, unitValue: row.unitValue, window: window, drawdownFromHighWaterMark: peak > 0 ? nav / peak - 1 : 0,
                    demotionTStatistic: demotionThreshold.isFinite ? demotionThreshold : nil, minimumJudgedDays: minimumDays)))
            }
            return answers
        }
    }

    /// The record of a strategy: the trailing days it has been running (with a return).
    static func runningWindow(_ rows: [AccountPerformanceRecord], strategy: String) -> LivePerformance? {
        let running = Array(rows.reversed().prefix { $0.strategy == strategy }.reversed()).filter { $0.dailyReturn != nil }
        return running.isEmpty ? nil : LivePerformance(returns: running.compactMap(\.dailyReturn), benchmark: running.map(\.benchmarkReturn))
    }

    /// Judges each account's running strategy on its live record; one trailing its benchmark by more than the margin is
    /// demoted. The chunk's windows and states are read in one query each.
    func adjust(_ accounts: [ChunkAccount]) async throws -> ChunkAnswers<AccountCycleOutputs.Adjustment> {
        let now = context.clock.now()
        let settings = self.settings
        let logger = context.logger
        return try await context.database.write(.outsideCachedReads) { session in
            let hashes = accounts.map(\.hash)
            let windows = try await session.performance.histories(accountHashes: hashes, limit: settings.performanceWindow)
            let states = try await session.autonomy.states(accountHashes: hashes)
            let threshold = settings.demotionTStatistic
            let shownThreshold = threshold.isFinite ? threshold : nil
            var answers: ChunkAnswers<AccountCycleOutputs.Adjustment> = [:]
            for (accountHash, clientID, strategy) in accounts {
                let window = Self.runningWindow(windows[accountHash] ?? [], strategy: strategy)
                guard let window, window.days >= settings.minimumJudgedDays, let excess = window.excessReturn, let t = window.excessTStatistic else {
                    answers[accountHash] = .success(.completed(AccountCycleOutputs.Adjustment(
                        strategy: strategy, window: window, demoted: false,
                        note: "\(window?.days ?? 0) of \(settings.minimumJudgedDays) days of record: not judged yet",
                        excessTStatistic: window?.excessTStatistic, threshold: shownThreshold)))
                    continue
                }
                guard t <= threshold, var state = states[accountHash],
                      state.demotedStrategy != strategy || (state.demotedUntil ?? .distantPast) <= now else {
                    answers[accountHash] = .success(.completed(AccountCycleOutputs.Adjustment(
                        strategy: strategy, window: window, demoted: false,
                        note: String(format: "excess return %.2f%% over %d days, t %.2f (demoted at %.2f or below): kept",
                                     excess * 100, window.days, t, threshold),
                        excessTStatistic: t, threshold: shownThreshold)))
                    continue
                }
                state.demotedStrategy = strategy
                state.demotedUntil = now.addingTimeInterval(settings.demotionDays * 86_400)
                state.updatedAt = now
                try await session.autonomy.save(state)
                let note = String(format: "%@ returned %.2f%% against the benchmark's %.2f%% over %d days: excess t %.2f at or below %.2f (information ratio %.2f): demoted; the next cycle switches",
                                  strategy, window.totalReturn * 100, (window.benchmarkReturn ?? 0) * 100, window.days, t, threshold, window.informationRatio ?? 0)
                try await session.audit("autonomy.demote", actor: Self.principal.userID, entityType: "account", entityID: accountHash, clientID: clientID,
                                        at: now, details: ["strategy": strategy, "excess_return": String(excess), "days": String(window.days),
                                                           "total_return": String(window.totalReturn), "benchmark_return": String(window.benchmarkReturn ?? 0),
                                                           "excess_t_statistic": String(t), "threshold": String(threshold)])
                logger.info("autonomous cycle: \(note)", metadata: ["account_hash": .string(accountHash)])
                answers[accountHash] = .success(.completed(AccountCycleOutputs.Adjustment(strategy: strategy, window: window, demoted: true, note: note,
                                                                                        excessTStatistic: t, threshold: shownThreshold)))
            }
            return answers
        }
    }
}

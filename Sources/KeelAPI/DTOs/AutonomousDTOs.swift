import Foundation
import KeelCore
import KeelServices
import KeelStore
import Vapor

struct CycleRunBody: Content {
    var clientIds: [Int]?
    var asOf: Date?
    var dryRun: Bool?

    var request: CycleRequest { CycleRequest(clientIDs: clientIds, asOf: asOf, dryRun: dryRun) }
}

struct CycleSubmittedResponse: Content {
    var cycleId: String
    var jobId: String
}

struct CycleRunResponse: Content {
    var cycleId: String
    var cycleDate: String
    var status: String
    var trigger: String
    var dryRun: Bool
    var asOf: Date
    var clientIds: [Int]?
    var regimeSymbol: String
    var regime: String?
    var regimeConfidence: Double?
    var jobId: String?
    var accountsTotal: Int
    var accountsDone: Int
    /// Accounts by outcome (completed, awaiting_approval, skipped, failed) once the cycle ended.
    var summary: JSONValue?
    var error: String?
    var createdBy: String
    var createdAt: Date
    var startedAt: Date?
    var finishedAt: Date?

    init(_ run: CycleRunRecord) {
        cycleId = run.cycleID
        cycleDate = run.cycleDate
        status = run.status.rawValue
        trigger = run.trigger
        dryRun = run.dryRun
        asOf = run.asOf
        clientIds = run.clientIDs
        regimeSymbol = run.regimeSymbol
        regime = run.regime
        regimeConfidence = run.regimeConfidence.flatMap { $0.isFinite ? $0 : nil }
        jobId = run.jobID
        accountsTotal = run.accountsTotal
        accountsDone = run.accountsDone
        summary = run.summary.flatMap { JSONValue(json: $0) }
        error = run.error
        createdBy = run.createdBy
        createdAt = run.createdAt
        startedAt = run.startedAt
        finishedAt = run.finishedAt
    }
}

struct CycleStepResponse: Content {
    /// `cycle` for the cycle's own steps, otherwise the account hash.
    var scope: String
    var step: String
    var sequence: Int
    var status: String
    var inputs: JSONValue?
    var outputs: JSONValue?
    var error: String?
    /// More than 1 when the step ran again after an interruption.
    var attempts: Int
    var startedAt: Date
    var finishedAt: Date?
    var durationMs: Int?

    init(_ step: CycleStepRecord) {
        scope = step.scope
        self.step = step.step
        sequence = step.sequence
        status = step.status.rawValue
        inputs = step.inputs.flatMap { JSONValue(json: $0) }
        outputs = step.outputs.flatMap { JSONValue(json: $0) }
        error = step.error
        attempts = step.attempts
        startedAt = step.startedAt
        finishedAt = step.finishedAt
        durationMs = step.durationMilliseconds
    }
}

struct CycleAccountResponse: Content {
    var accountHash: String
    var clientId: Int
    var status: String
    var strategy: String?
    var reason: String?
    var batchId: String?
    var orders: Int
    var outcome: String?
    var jobId: String?
    var runs: Int
    var startedAt: Date?
    var finishedAt: Date?

    init(_ entry: CycleAccountRecord) {
        accountHash = entry.accountHash
        clientId = entry.clientID
        status = entry.status.rawValue
        strategy = entry.strategy
        reason = entry.reason
        batchId = entry.batchID
        orders = entry.orders
        outcome = entry.outcome
        jobId = entry.jobID
        runs = entry.runs
        startedAt = entry.startedAt
        finishedAt = entry.finishedAt
    }
}

struct CycleDetailResponse: Content {
    var cycle: CycleRunResponse
    var steps: [CycleStepResponse]
    var accounts: [CycleAccountResponse]

    init(_ detail: CycleDetail) {
        cycle = CycleRunResponse(detail.run)
        steps = detail.steps.map(CycleStepResponse.init)
        accounts = detail.accounts.map(CycleAccountResponse.init)
    }
}

struct ClientControlResponse: Content {
    var clientId: Int
    var paused: Bool
    var pauseReason: String?
    var pausedBy: String?
    var pausedAt: Date?
    var overrideStrategy: String?
    var overrideUntil: Date?
    var overrideReason: String?
    var overrideBy: String?
    var updatedAt: Date

    init(_ control: ClientControlRecord) {
        clientId = control.clientID
        paused = control.paused
        pauseReason = control.pauseReason
        pausedBy = control.pausedBy
        pausedAt = control.pausedAt
        overrideStrategy = control.overrideStrategy
        overrideUntil = control.overrideUntil
        overrideReason = control.overrideReason
        overrideBy = control.overrideBy
        updatedAt = control.updatedAt
    }
}

struct ClientPauseBody: Content {
    var reason: String?
}

struct StrategyOverrideBody: Content {
    var strategy: String?
    var until: Date?
    var reason: String?
}

struct AutonomyStatusResponse: Content {
    struct Regime: Content {
        var symbol: String
        var day: String
        var regime: String
        var confidence: Double
    }

    struct Account: Content {
        var accountHash: String
        var clientId: Int
        var broker: String
        /// active, disconnected, closed or halted.
        var status: String
        var haltedReason: String?
    }

    var lastCycle: CycleRunResponse?
    var nextCycleAt: Date?
    var scheduled: Bool
    var regime: Regime?
    var latestBarAt: Date?
    var dataAgeSeconds: Double?
    var accounts: [Account]
    var unknownOrders: Int
    var jobQueue: [String: Int]
    var pausedClients: [ClientControlResponse]
    var killSwitchEngaged: Bool
    var tradingPaused: Bool

    init(_ status: AutonomyStatus) {
        lastCycle = status.lastCycle.map(CycleRunResponse.init)
        nextCycleAt = status.nextScheduled
        scheduled = status.scheduled
        regime = status.regime.map { Regime(symbol: $0.symbol, day: $0.day, regime: $0.regime, confidence: $0.confidence.isFinite ? $0.confidence : 0) }
        latestBarAt = status.latestBar
        dataAgeSeconds = status.dataAgeSeconds.flatMap { $0.isFinite ? $0 : nil }
        accounts = status.accounts.map { Account(accountHash: $0.accountHash, clientId: $0.clientID, broker: $0.broker, status: $0.status, haltedReason: $0.halted) }
        unknownOrders = status.unknownOrders
        jobQueue = status.jobQueue
        pausedClients = status.pausedClients.map(ClientControlResponse.init)
        killSwitchEngaged = status.killSwitchEngaged
        tradingPaused = status.tradingPaused
    }
}

struct LivePerformanceResponse: Content {
    var days: Int
    var totalReturn: Double?
    var benchmarkReturn: Double?
    var excessReturn: Double?
    var sharpe: Double?
    var volatility: Double?
    var maxDrawdown: Double?

    init(_ record: LivePerformance) {
        func finite(_ value: Double?) -> Double? { value.flatMap { $0.isFinite ? $0 : nil } }
        days = record.days
        totalReturn = finite(record.totalReturn)
        benchmarkReturn = finite(record.benchmarkReturn)
        excessReturn = finite(record.excessReturn)
        sharpe = finite(record.sharpe)
        volatility = finite(record.volatility)
        maxDrawdown = finite(record.maxDrawdown)
    }
}

struct PerformanceDayResponse: Content {
    var day: String
    var strategy: String
    var portfolioValue: Double
    var dailyReturn: Double?
    var benchmarkReturn: Double?
    var cycleId: String?
}

struct AccountPerformanceResponse: Content {
    var accountHash: String
    var benchmark: String
    var overall: LivePerformanceResponse
    var byStrategy: [String: LivePerformanceResponse]
    var days: [PerformanceDayResponse]

    init(_ report: AccountPerformanceReport, benchmark: String) {
        func finite(_ value: Double?) -> Double? { value.flatMap { $0.isFinite ? $0 : nil } }
        accountHash = report.accountHash
        self.benchmark = benchmark
        overall = LivePerformanceResponse(report.overall)
        byStrategy = report.byStrategy.mapValues(LivePerformanceResponse.init)
        days = report.days.map { PerformanceDayResponse(day: $0.day, strategy: $0.strategy, portfolioValue: $0.portfolioValue.isFinite ? $0.portfolioValue : 0,
                                                         dailyReturn: finite($0.dailyReturn), benchmarkReturn: finite($0.benchmarkReturn), cycleId: $0.cycleID) }
    }
}

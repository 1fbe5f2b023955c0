import Foundation
import KeelCore
import KeelServices
import KeelStore
import Vapor

struct BacktestBody: Content {
    var strategy: String?
    var symbols: [String]?
    var from: String?
    var to: String?
    var cash: Double?
    var fill: String?
    var commissionPerOrder: Double?
    var commissionBps: Double?
    var commissionPerShare: Double?
    var schwabFees: Bool?
    var slippageBps: Double?
    var benchmark: String?
    var fast: Int?
    var slow: Int?
    var shares: Double?
    var lookback: Int?
    var window: Int?
    var rebalanceEvery: Int?
    var maxPositions: Int?
    var maxWeight: Double?
    var cashBuffer: Double?
    var goalType: String?
    var goalTarget: Double?

    func request() throws -> BacktestRequest {
        guard let strategy else { throw ServiceError.invalid("strategy", "strategy is required") }
        func date(_ text: String?, _ field: String) throws -> Date? {
            guard let text else { return nil }
            return try FieldValidation.instant(text, field: field)
        }
        var timing: FillTiming?
        switch fill {
        case nil: timing = nil
        case "close": timing = .close
        case "next-open", "next_open": timing = .nextOpen
        default: throw ServiceError.invalid("fill", "fill must be close or next-open")
        }
        let commissionGiven = commissionPerOrder != nil || commissionBps != nil || commissionPerShare != nil || schwabFees != nil
        let live = BacktestRequest.liveLikeDefaults(strategy: strategy, fill: timing, slippageBps: slippageBps, commissionGiven: commissionGiven)
        let defaults = BacktestRequest(strategy: strategy)
        var request = BacktestRequest(strategy: strategy, symbols: symbols ?? [], from: try date(from, "from"), to: try date(to, "to").map { $0.addingTimeInterval(86_399) },
                               cash: cash ?? defaults.cash, fill: live.fill, commissionPerOrder: commissionPerOrder, commissionBps: commissionBps,
                               commissionPerShare: commissionPerShare, schwabFees: schwabFees ?? live.schwabFees, slippageBps: live.slippageBps, benchmark: benchmark,
                               fast: fast ?? defaults.fast, slow: slow ?? defaults.slow, shares: shares ?? defaults.shares, lookback: lookback ?? defaults.lookback,
                               window: window ?? defaults.window, rebalanceEvery: rebalanceEvery, maxPositions: maxPositions ?? defaults.maxPositions,
                               maxWeight: maxWeight ?? defaults.maxWeight, cashBuffer: cashBuffer ?? defaults.cashBuffer)
        request.goalType = goalType
        request.goalTarget = goalTarget
        return request
    }
}

struct BacktestSubmitted: Content {
    var backtestId: String
    var status: String
    /// The job that runs it (`POST /api/jobs/{job_id}/cancel` stops it).
    var jobId: String
}

/// A backtest job: its status, and once it finished its stored outcome (metrics, equity curve, trades) as is.
struct BacktestStatusResponse: Content {
    var backtestId: String
    var status: String
    var createdAt: Date
    var error: String?
    var result: JSONValue?
    var reportUrl: String?

    init(_ record: BacktestRecord) {
        backtestId = record.id
        status = record.status
        createdAt = record.createdAt
        error = record.error
        result = record.result.flatMap { JSONValue(json: $0) }
        reportUrl = result == nil ? nil : "/api/backtests/\(record.id)/report"
    }
}

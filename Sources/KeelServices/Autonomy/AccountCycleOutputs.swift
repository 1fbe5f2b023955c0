import Foundation
import KeelCore

/// What each account step stores as its outputs (and reads back when a resumed job skips a finished step).
enum AccountCycleOutputs {
    struct Selection: Codable, Sendable {
        var strategy: String
        var portfolioID: Int
        var riskFactor: Double
        var rule: String
        var reason: String
        var switched: Bool
        var forced: Bool
        var regime: String?
        var risk: AccountRiskMonitor.Assessment
        var derisked: Bool

        enum CodingKeys: String, CodingKey {
            case strategy, rule, reason, switched, forced, regime, risk, derisked
            case portfolioID = "portfolio_id", riskFactor = "risk_factor"
        }
    }

    struct Forecast: Codable, Sendable {
        var model: String
        var symbols: Int
        var top: [String: Double]
    }

    struct Portfolio: Codable, Sendable {
        var batchID: String?
        var targetWeights: [String: Double]
        var note: String

        enum CodingKeys: String, CodingKey { case batchID = "batch_id", targetWeights = "target_weights", note }
    }

    struct Batch: Codable, Sendable {
        var batchID: String?
        var status: String?
        var orders: Int
        var note: String

        enum CodingKeys: String, CodingKey { case batchID = "batch_id", status, orders, note }
    }

    struct Approval: Codable, Sendable {
        var approved: Bool
        var by: String?
        var note: String
    }

    struct Execution: Codable, Sendable {
        var mode: String?
        var batchStatus: String?
        var ordersSent: Int
        var ordersFilled: Int
        var note: String
        /// The kill switch, the pause or the client's pause stopped it: the account ends skipped.
        var stopped: Bool = false

        enum CodingKeys: String, CodingKey {
            case mode, note, stopped
            case batchStatus = "batch_status", ordersSent = "orders_sent", ordersFilled = "orders_filled"
        }
    }

    struct Reconciliation: Codable, Sendable {
        var ordersResolved: Int
        var ordersStillUnknown: Int
        var mismatches: Int
        var note: String

        enum CodingKeys: String, CodingKey {
            case note, mismatches
            case ordersResolved = "orders_resolved", ordersStillUnknown = "orders_still_unknown"
        }
    }

    /// The day's value and return, and what the running strategy is judged on: its window's return, excess
    /// return, volatility, Sharpe and excess t-statistic against the demotion threshold, and the account's
    /// drawdown from its high-water mark.
    struct Performance: Codable, Sendable {
        var day: String
        /// Money leaves Keel as Decimal rounded to the cent (a binary float would show 99951.48000000001).
        var portfolioValue: Decimal
        var dailyReturn: Double?
        var benchmarkReturn: Double?
        /// Deposits minus withdrawals since the previous day (not part of the return) and the time-weighted NAV.
        var netFlow: Decimal? = nil
        var unitValue: Double? = nil
        var window: LivePerformance? = nil
        var drawdownFromHighWaterMark: Double? = nil
        var demotionTStatistic: Double? = nil
        var minimumJudgedDays: Int? = nil

        enum CodingKeys: String, CodingKey {
            case day
            case portfolioValue = "portfolio_value", dailyReturn = "daily_return", benchmarkReturn = "benchmark_return"
            case netFlow = "net_flow", unitValue = "unit_value"
            case window, drawdownFromHighWaterMark = "drawdown_from_high_water_mark", demotionTStatistic = "demotion_t_statistic"
            case minimumJudgedDays = "minimum_judged_days"
        }
    }

    struct Adjustment: Codable, Sendable {
        var strategy: String
        var window: LivePerformance?
        var demoted: Bool
        var note: String
        /// The statistic judged and the threshold it is demoted at.
        var excessTStatistic: Double? = nil
        var threshold: Double? = nil

        enum CodingKeys: String, CodingKey {
            case strategy, window, demoted, note
            case excessTStatistic = "excess_t_statistic", threshold
        }
    }
}

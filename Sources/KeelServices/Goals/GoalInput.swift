import Foundation
import KeelCore

/// A new goal as a caller sends it; `GoalService.create` validates every field (422 naming the field).
public struct GoalInput: Sendable {
    public var userID: String?
    public var name: String?
    public var goalType: String?
    /// Percent for return goals (5 = +5%) and drawdown limits (10 = 10%); money for profit and value goals.
    public var targetValue: Decimal?
    /// ISO date (2026-06-01) or date-time; default now.
    public var periodStart: String?
    /// ISO date or date-time; default one month/quarter/year after the start for return goals.
    public var periodEnd: String?
    /// 1 (highest) to 10; default 1.
    public var priority: Int?
    public var clientID: Int?
    public var accountHash: String?
    /// Capital the goal measures from; required without an account (an account's goal starts at its value).
    public var startingValue: Decimal?
    public var continueAfterAchieved: Bool?
    public var maxFactor: Double?
    /// nyse (default) or 24/7: which days count as trading days left.
    public var calendar: String?

    public init(userID: String? = nil, name: String? = nil, goalType: String? = nil, targetValue: Decimal? = nil, periodStart: String? = nil,
                periodEnd: String? = nil, priority: Int? = nil, clientID: Int? = nil, accountHash: String? = nil, startingValue: Decimal? = nil,
                continueAfterAchieved: Bool? = nil, maxFactor: Double? = nil, calendar: String? = nil) {
        self.userID = userID
        self.name = name
        self.goalType = goalType
        self.targetValue = targetValue
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.priority = priority
        self.clientID = clientID
        self.accountHash = accountHash
        self.startingValue = startingValue
        self.continueAfterAchieved = continueAfterAchieved
        self.maxFactor = maxFactor
        self.calendar = calendar
    }
}

/// The fields of a goal that may change while it runs.
public struct GoalUpdate: Sendable {
    public var name: String?
    public var targetValue: Decimal?
    public var periodEnd: String?
    public var priority: Int?
    public var continueAfterAchieved: Bool?
    public var maxFactor: Double?

    public init(name: String? = nil, targetValue: Decimal? = nil, periodEnd: String? = nil, priority: Int? = nil,
                continueAfterAchieved: Bool? = nil, maxFactor: Double? = nil) {
        self.name = name
        self.targetValue = targetValue
        self.periodEnd = periodEnd
        self.priority = priority
        self.continueAfterAchieved = continueAfterAchieved
        self.maxFactor = maxFactor
    }
}

enum GoalFieldRules {
    /// A date (2026-06-30, midnight UTC) or an ISO date-time.
    static func date(_ text: String?, field: String) throws -> Date? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        return try FieldValidation.instant(text, field: field)
    }

    static func target(_ value: Decimal?, type: GoalType, startingValue: Decimal?) throws -> Decimal {
        guard let value else { throw ServiceError.invalid("target_value", "target_value is required") }
        _ = try FieldValidation.ledger(value, field: "target_value", range: LedgerLimits.money, scale: 6)
        switch type {
        case .monthlyReturn, .quarterlyReturn, .yearlyReturn:
            guard value > 0, value <= 1000 else { throw ServiceError.invalid("target_value", "target_value of a return goal is a percent above 0 and at most 1000 (5 = +5%)") }
        case .maxDrawdown:
            guard value > 0, value < 100 else { throw ServiceError.invalid("target_value", "target_value of a max_drawdown goal is a percent limit above 0 and below 100") }
        case .profitTarget:
            guard value > 0 else { throw ServiceError.invalid("target_value", "target_value of a profit_target goal is an amount above 0") }
        case .portfolioValue:
            guard value > 0 else { throw ServiceError.invalid("target_value", "target_value of a portfolio_value goal is an amount above 0") }
            if let startingValue, value <= startingValue {
                throw ServiceError.invalid("target_value", "target_value (\(value)) must be above the portfolio's current value (\(startingValue))")
            }
        }
        return value
    }

    static func maxFactor(_ value: Double?, ceiling: Double) throws -> Double {
        guard let value else { return min(1.5, ceiling) }
        guard value.isFinite, value >= 0, value <= ceiling else {
            throw ServiceError.invalid("max_factor", "max_factor must be between 0 and \(ceiling)")
        }
        return value
    }

    static func priority(_ value: Int?) throws -> Int {
        try FieldValidation.range(value ?? 1, 1...10, field: "priority")
    }

    /// Default end of a return goal's period: one month, quarter or year after its start.
    static func defaultEnd(_ type: GoalType, start: Date) -> Date? {
        let months: Int
        switch type {
        case .monthlyReturn: months = 1
        case .quarterlyReturn: months = 3
        case .yearlyReturn: months = 12
        default: return nil
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(byAdding: .month, value: months, to: start)
    }
}

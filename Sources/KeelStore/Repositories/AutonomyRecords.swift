import Foundation

/// The strategy the autonomous cycle currently runs for an account, and its risk state.
public struct AccountAutonomyRecord: Sendable, Hashable {
    public var accountHash: String
    public var clientID: Int
    public var strategy: String
    public var portfolioID: Int
    public var reason: String
    public var regime: String?
    public var selectedAt: Date
    public var switches: Int
    /// Set while a breached risk limit keeps the account de-risked.
    public var deriskedAt: Date?
    public var deriskReason: String?
    /// A strategy switched away from for underperforming; not chosen again before `demotedUntil`.
    public var demotedStrategy: String?
    public var demotedUntil: Date?
    public var updatedAt: Date

    public init(accountHash: String, clientID: Int, strategy: String, portfolioID: Int, reason: String, regime: String?, selectedAt: Date,
                switches: Int, deriskedAt: Date?, deriskReason: String?, demotedStrategy: String?, demotedUntil: Date?, updatedAt: Date) {
        self.accountHash = accountHash
        self.clientID = clientID
        self.strategy = strategy
        self.portfolioID = portfolioID
        self.reason = reason
        self.regime = regime
        self.selectedAt = selectedAt
        self.switches = switches
        self.deriskedAt = deriskedAt
        self.deriskReason = deriskReason
        self.demotedStrategy = demotedStrategy
        self.demotedUntil = demotedUntil
        self.updatedAt = updatedAt
    }
}

/// An advisor's manual controls of one client.
public struct ClientControlRecord: Sendable, Hashable {
    public var clientID: Int
    public var paused: Bool
    public var pauseReason: String?
    public var pausedBy: String?
    public var pausedAt: Date?
    public var overrideStrategy: String?
    public var overrideUntil: Date?
    public var overrideReason: String?
    public var overrideBy: String?
    public var overrideAt: Date?
    public var updatedAt: Date

    public init(clientID: Int, updatedAt: Date) {
        self.clientID = clientID
        self.paused = false
        self.updatedAt = updatedAt
    }

    /// The override in force at `now`, if any.
    public func activeOverride(at now: Date) -> String? {
        guard let strategy = overrideStrategy, let until = overrideUntil, until > now else { return nil }
        return strategy
    }
}

/// One day of an account's live performance.
public struct AccountPerformanceRecord: Sendable, Hashable {
    public var accountHash: String
    public var clientID: Int
    public var day: String
    public var strategy: String
    public var portfolioValue: Double
    public var dailyReturn: Double?
    public var benchmarkClose: Double?
    public var benchmarkReturn: Double?
    public var cycleID: String?
    public var recordedAt: Date
    /// Deposits minus withdrawals booked since the previous row (part of `portfolioValue`, not of the return).
    public var netFlow: Double
    /// The time-weighted NAV: the value the account would have had with no flows since its first row.
    public var unitValue: Double

    public init(accountHash: String, clientID: Int, day: String, strategy: String, portfolioValue: Double, dailyReturn: Double?,
                benchmarkClose: Double?, benchmarkReturn: Double?, cycleID: String?, recordedAt: Date,
                netFlow: Double = 0, unitValue: Double? = nil) {
        self.accountHash = accountHash
        self.clientID = clientID
        self.day = day
        self.strategy = strategy
        self.portfolioValue = portfolioValue
        self.dailyReturn = dailyReturn
        self.benchmarkClose = benchmarkClose
        self.benchmarkReturn = benchmarkReturn
        self.cycleID = cycleID
        self.recordedAt = recordedAt
        self.netFlow = netFlow
        self.unitValue = unitValue ?? portfolioValue
    }
}

/// A stored day of the market regime.
public struct StoredRegimeDay: Sendable, Hashable {
    public var symbol: String
    public var day: String
    public var regime: String
    public var indicated: String
    public var confidence: Double
    public var inputs: String
    public var computedAt: Date

    public init(symbol: String, day: String, regime: String, indicated: String, confidence: Double, inputs: String, computedAt: Date) {
        self.symbol = symbol
        self.day = day
        self.regime = regime
        self.indicated = indicated
        self.confidence = confidence
        self.inputs = inputs
        self.computedAt = computedAt
    }
}

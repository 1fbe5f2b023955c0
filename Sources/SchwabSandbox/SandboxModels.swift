import Foundation

/// A brokerage account of the sandbox's Schwab user.
struct SandboxAccount: Sendable {
    /// The Schwab login that owns the account.
    var user: String
    var number: String
    var hash: String
    var type: String
    var cash: Double
    var positions: [String: SandboxPosition]
    var nickname: String
}

struct SandboxPosition: Sendable {
    var quantity: Double
    var averagePrice: Double
}

struct SandboxExecution: Sendable {
    var activityID: Int64
    var quantity: Double
    var price: Double
    var time: Date
}

struct SandboxOrder: Sendable {
    var id: Int64
    var accountNumber: String
    var symbol: String
    var instruction: String
    var quantity: Double
    var orderType: String
    var limitPrice: Double?
    var session: String
    var duration: String
    var status: String
    var statusDescription: String?
    var enteredTime: Date
    var closeTime: Date?
    var executions: [SandboxExecution]
    /// Set by the partial-fill fault: what is left never fills.
    var holdRemainder: Bool

    var filled: Double { executions.reduce(0) { $0 + $1.quantity } }
    var remaining: Double { quantity - filled }
    var isOpen: Bool { ["WORKING", "PENDING_ACTIVATION", "QUEUED", "ACCEPTED"].contains(status) }
}

struct SandboxTransaction: Sendable {
    var activityID: Int64
    var accountNumber: String
    var orderID: Int64
    var time: Date
    var symbol: String
    var quantity: Double
    var price: Double
    var netAmount: Double
    /// Regulatory fees (a sale's SEC fee), shown as a currency transfer item as Schwab shows them.
    var fees: Double = 0
}

struct SandboxLineage: Sendable {
    var id: String
    var user: String
    var refreshToken: String
    var grantedAt: Date
    var revoked: Bool
}

struct SandboxAccessToken: Sendable {
    var lineageID: String
    var expiresAt: Date
}

struct SandboxAuthorizationCode: Sendable {
    var user: String
    var issuedAt: Date
    var redirectURI: String
    var used: Bool
}

/// What the sandbox has seen, for tests to assert on (exactly one refresh, no duplicate order).
public struct SandboxCounters: Codable, Sendable, Hashable {
    public var codeExchanges = 0
    public var refreshes = 0
    public var failedRefreshes = 0
    public var ordersPlaced = 0
    public var apiRequests = 0
    public var throttled = 0
}

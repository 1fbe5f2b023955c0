import Foundation

/// Where Schwab (or the sandbox) lives and which registered app Keel is.
public struct SchwabConfiguration: Sendable, Hashable {
    public var appKey: String
    public var appSecret: String
    /// Must equal the callback registered with the app, to the trailing slash.
    public var callbackURL: String
    /// `https://api.schwabapi.com` in production; the sandbox's address in tests and demos.
    public var baseURL: String
    public var requestTimeout: TimeInterval
    /// Orders (POST/PUT/DELETE) allowed per account per minute, as registered with Schwab (0-120).
    public var ordersPerMinute: Int
    /// Attempts for a request answered 429 (Schwab did not act on it, so it may be repeated).
    public var maxRateLimitRetries: Int

    public init(appKey: String, appSecret: String, callbackURL: String, baseURL: String = "https://api.schwabapi.com",
                requestTimeout: TimeInterval = 15, ordersPerMinute: Int = 120, maxRateLimitRetries: Int = 3) {
        self.appKey = appKey
        self.appSecret = appSecret
        self.callbackURL = callbackURL
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.requestTimeout = requestTimeout
        self.ordersPerMinute = ordersPerMinute
        self.maxRateLimitRetries = maxRateLimitRetries
    }

    var oauthBase: String { baseURL + "/v1/oauth" }
    var traderBase: String { baseURL + "/trader/v1" }
    var marketDataBase: String { baseURL + "/marketdata/v1" }
}

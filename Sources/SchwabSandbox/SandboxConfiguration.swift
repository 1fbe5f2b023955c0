import Foundation
import KeelCore

/// One registered Schwab app, the sandbox's clock and prices, and its public face.
public struct SandboxConfiguration: Sendable {
    public var appKey: String
    public var appSecret: String
    /// The one registered callback; `redirect_uri` must equal it exactly.
    public var callbackURL: String
    /// Redirect straight to the callback instead of showing the consent page (scripts and tests).
    public var autoApprove: Bool
    /// Host used in the `Location` of placed orders (Schwab sends absolute URLs on its own host).
    public var publicBaseURL: String
    public var clock: any KeelClock
    /// Seed of the simulated prices (Keel's demo uses the same simulator, so prices agree when seeds match).
    public var priceSeed: UInt64
    public var accessTokenLifetime: TimeInterval
    public var refreshTokenLifetime: TimeInterval
    public var authorizationCodeLifetime: TimeInterval
    /// Order requests (POST/PUT/DELETE) per account per minute, 0-120, as registered at Schwab.
    public var ordersPerMinute: Int

    public init(appKey: String, appSecret: String, callbackURL: String, autoApprove: Bool = false,
                publicBaseURL: String = "https://api.schwabapi.com", clock: any KeelClock = SystemClock(), priceSeed: UInt64 = 20_260_101,
                accessTokenLifetime: TimeInterval = 1800, refreshTokenLifetime: TimeInterval = 7 * 86_400,
                authorizationCodeLifetime: TimeInterval = 30, ordersPerMinute: Int = 120) {
        self.appKey = appKey
        self.appSecret = appSecret
        self.callbackURL = callbackURL
        self.autoApprove = autoApprove
        self.publicBaseURL = publicBaseURL
        self.clock = clock
        self.priceSeed = priceSeed
        self.accessTokenLifetime = accessTokenLifetime
        self.refreshTokenLifetime = refreshTokenLifetime
        self.authorizationCodeLifetime = authorizationCodeLifetime
        self.ordersPerMinute = min(max(ordersPerMinute, 0), 120)
    }
}

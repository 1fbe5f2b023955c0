import Foundation
import KeelBrokers
import KeelCore

/// Business settings of the workflows; one value, built once by the composition root.
public struct ServiceSettings: Sendable {
    /// How long an approval stays valid before the batch must be regenerated.
    public var approvalLifetime: TimeInterval
    public var tokenLifetime: TimeInterval
    public var defaultPaperCash: Decimal
    public var riskLimits: RiskLimits
    public var minimumOrderNotional: Decimal
    public var paperCosts: PaperExecutionCosts
    /// Prices older than this are too stale to value or sell at (a hard floor).
    public var maximumPriceAge: TimeInterval
    /// New buys need a last bar from the latest completed session (or `sessionsBehind` before it); the cycle's
    /// benchmark too, else the cycle skips its accounts.
    public var priceFreshness = PriceFreshness()
    /// Where alerts are POSTed as JSON (KEEL_ALERT_WEBHOOK_URL); nil: alerts are only stored and listed.
    public var alertWebhookURL: String? = nil
    /// Waits between webhook attempts; after the last one the delivery is given up (status failed).
    public var webhookRetryDelays: [TimeInterval] = [1, 5, 30, 120, 600, 1800]
    /// Goal sizing: the largest risk factor any goal may ask for, whatever its own max_factor.
    public var goalMaxFactor: Double = 2.0
    /// Goal sizing: a goal that needs more than this return per trading day counts as unreachable.
    public var goalMaxDailyReturn: Double = 0.01
    /// The autonomous daily cycle.
    public var cycle = CycleSettings()

    public init(approvalLifetime: TimeInterval = 24 * 3600, tokenLifetime: TimeInterval = 12 * 3600, defaultPaperCash: Decimal = 100_000,
                riskLimits: RiskLimits = RiskLimits(), minimumOrderNotional: Decimal = 10,
                paperCosts: PaperExecutionCosts = PaperExecutionCosts(), maximumPriceAge: TimeInterval = 10 * 86_400) {
        self.approvalLifetime = approvalLifetime
        self.tokenLifetime = tokenLifetime
        self.defaultPaperCash = defaultPaperCash
        self.riskLimits = riskLimits
        self.minimumOrderNotional = minimumOrderNotional
        self.paperCosts = paperCosts
        self.maximumPriceAge = maximumPriceAge
    }
}

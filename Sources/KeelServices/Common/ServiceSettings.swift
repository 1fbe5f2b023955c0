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
    /// Prices older than this are too stale to trade on.
    public var maximumPriceAge: TimeInterval

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

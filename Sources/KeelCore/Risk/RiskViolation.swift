/// One reason an order (or the whole batch) may not be sent.
public struct RiskViolation: Sendable, Hashable, Codable, Error {
    public enum Rule: String, Sendable, Codable {
        case killSwitch = "kill_switch"
        case tradingPaused = "trading_paused"
        case accountHalted = "account_halted"
        case tradingMode = "trading_mode"
        case negativeCash = "negative_cash"
        case maxPositionWeight = "max_position_weight"
        case maxOrderNotional = "max_order_notional"
        case priceCollar = "price_collar"
        case untradableSymbol = "untradable_symbol"
        case missingPrice = "missing_price"
        case insufficientPosition = "insufficient_position"
    }

    public var rule: Rule
    public var symbol: String?
    public var message: String

    public init(rule: Rule, symbol: String? = nil, message: String) {
        self.rule = rule
        self.symbol = symbol
        self.message = message
    }
}

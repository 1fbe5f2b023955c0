/// What kind of instrument a symbol is; decides lot sizes and trading calendar.
public enum AssetClass: String, Sendable, Codable, CaseIterable {
    case equity
    case etf
    case crypto

    /// Crypto pairs are recognised by their quote currency (`BTC-USD`, `BTCUSDT`, `ETHUSD`, `ETH/USD`).
    public static func inferred(fromSymbol symbol: String) -> AssetClass {
        let upper = symbol.uppercased()
        let quotes = ["-USD", "/USD", "USDT", "USDC", "-EUR", "/EUR"]
        let bases = ["BTC", "ETH", "LTC", "SOL", "ADA", "XRP", "DOGE", "DOT", "AVAX", "LINK"]
        if quotes.contains(where: { upper.hasSuffix($0) }) { return .crypto }
        if bases.contains(where: { upper == $0 + "USD" }) { return .crypto }
        return .equity
    }

    /// Equities and ETFs trade in whole shares here; crypto in fractional lots.
    public var tradesFractionally: Bool { self == .crypto }
}

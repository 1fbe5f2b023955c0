import Foundation

/// A tradable symbol and the rules that shape its orders.
public struct Instrument: Sendable, Hashable, Codable {
    public var symbol: String
    public var assetClass: AssetClass
    public var name: String
    /// Smallest quantity step an order may use (1 share, or e.g. 0.000001 BTC).
    public var quantityIncrement: Decimal
    public var tradable: Bool

    public init(symbol: String, assetClass: AssetClass, name: String, quantityIncrement: Decimal? = nil, tradable: Bool = true) {
        self.symbol = symbol
        self.assetClass = assetClass
        self.name = name
        self.quantityIncrement = quantityIncrement ?? (assetClass.tradesFractionally ? Decimal(string: "0.000001")! : 1)
        self.tradable = tradable
    }
}

/// One asset of the simulated market and the statistics its path is drawn with.
public struct SimulatedAsset: Sendable, Hashable {
    public var symbol: String
    public var assetClass: AssetClass
    public var startPrice: Double
    /// Expected annual return before the regime's market drift is added.
    public var annualDrift: Double
    /// Total annual volatility in a calm regime (multiplied by the regime's volatility factor).
    public var annualVolatility: Double
    /// Sensitivity to the common market factor; this is what correlates the assets.
    public var marketBeta: Double
    public var averageVolume: Double

    public init(symbol: String, assetClass: AssetClass, startPrice: Double, annualDrift: Double,
                annualVolatility: Double, marketBeta: Double, averageVolume: Double) {
        self.symbol = symbol
        self.assetClass = assetClass
        self.startPrice = startPrice
        self.annualDrift = annualDrift
        self.annualVolatility = annualVolatility
        self.marketBeta = marketBeta
        self.averageVolume = averageVolume
    }
}

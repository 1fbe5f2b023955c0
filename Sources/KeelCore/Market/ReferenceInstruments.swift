/// The liquid US equities, ETFs and crypto pairs Keel ships with, and the statistics the demo market is
/// simulated with (typical long-run levels, not forecasts).
public enum ReferenceInstruments {
    public struct Entry: Sendable, Hashable {
        public let instrument: Instrument
        public let typicalPrice: Double
        public let annualDrift: Double
        public let annualVolatility: Double
        public let marketBeta: Double
        public let averageVolume: Double

        public var simulatedAsset: SimulatedAsset {
            SimulatedAsset(symbol: instrument.symbol, assetClass: instrument.assetClass, startPrice: typicalPrice,
                           annualDrift: annualDrift, annualVolatility: annualVolatility, marketBeta: marketBeta,
                           averageVolume: averageVolume)
        }
    }

    private static func entry(_ symbol: String, _ name: String, _ assetClass: AssetClass, price: Double, drift: Double,
                              vol: Double, beta: Double, volume: Double) -> Entry {
        Entry(instrument: Instrument(symbol: symbol, assetClass: assetClass, name: name), typicalPrice: price,
              annualDrift: drift, annualVolatility: vol, marketBeta: beta, averageVolume: volume)
    }

    public static let all: [Entry] = [
        entry("AAPL", "Apple Inc.", .equity, price: 190, drift: 0.06, vol: 0.28, beta: 1.2, volume: 55_000_000),
        entry("MSFT", "Microsoft Corporation", .equity, price: 410, drift: 0.06, vol: 0.26, beta: 1.1, volume: 22_000_000),
        entry("NVDA", "NVIDIA Corporation", .equity, price: 120, drift: 0.12, vol: 0.50, beta: 1.7, volume: 250_000_000),
        entry("AMZN", "Amazon.com, Inc.", .equity, price: 180, drift: 0.06, vol: 0.32, beta: 1.2, volume: 40_000_000),
        entry("GOOGL", "Alphabet Inc. Class A", .equity, price: 165, drift: 0.05, vol: 0.30, beta: 1.1, volume: 25_000_000),
        entry("META", "Meta Platforms, Inc.", .equity, price: 500, drift: 0.07, vol: 0.38, beta: 1.3, volume: 15_000_000),
        entry("TSLA", "Tesla, Inc.", .equity, price: 240, drift: 0.05, vol: 0.60, beta: 1.8, volume: 95_000_000),
        entry("AVGO", "Broadcom Inc.", .equity, price: 160, drift: 0.08, vol: 0.40, beta: 1.3, volume: 20_000_000),
        entry("NFLX", "Netflix, Inc.", .equity, price: 650, drift: 0.05, vol: 0.40, beta: 1.2, volume: 4_000_000),
        entry("AMD", "Advanced Micro Devices, Inc.", .equity, price: 150, drift: 0.06, vol: 0.50, beta: 1.6, volume: 50_000_000),
        entry("CRM", "Salesforce, Inc.", .equity, price: 270, drift: 0.04, vol: 0.34, beta: 1.2, volume: 6_000_000),
        entry("ADBE", "Adobe Inc.", .equity, price: 520, drift: 0.03, vol: 0.34, beta: 1.2, volume: 3_000_000),
        entry("JPM", "JPMorgan Chase & Co.", .equity, price: 210, drift: 0.04, vol: 0.24, beta: 1.1, volume: 9_000_000),
        entry("JNJ", "Johnson & Johnson", .equity, price: 155, drift: 0.03, vol: 0.17, beta: 0.5, volume: 7_000_000),
        entry("PG", "The Procter & Gamble Company", .equity, price: 165, drift: 0.03, vol: 0.16, beta: 0.4, volume: 6_500_000),
        entry("XOM", "Exxon Mobil Corporation", .equity, price: 115, drift: 0.03, vol: 0.27, beta: 0.8, volume: 16_000_000),
        entry("UNH", "UnitedHealth Group Incorporated", .equity, price: 520, drift: 0.04, vol: 0.24, beta: 0.7, volume: 3_500_000),
        entry("HD", "The Home Depot, Inc.", .equity, price: 360, drift: 0.04, vol: 0.23, beta: 1.0, volume: 3_500_000),
        entry("KO", "The Coca-Cola Company", .equity, price: 65, drift: 0.03, vol: 0.15, beta: 0.5, volume: 13_000_000),
        entry("PEP", "PepsiCo, Inc.", .equity, price: 170, drift: 0.03, vol: 0.16, beta: 0.5, volume: 5_000_000),
        entry("WMT", "Walmart Inc.", .equity, price: 70, drift: 0.04, vol: 0.18, beta: 0.5, volume: 15_000_000),
        entry("MCD", "McDonald's Corporation", .equity, price: 280, drift: 0.03, vol: 0.17, beta: 0.6, volume: 3_000_000),
        entry("SPY", "SPDR S&P 500 ETF Trust", .etf, price: 540, drift: 0.0, vol: 0.16, beta: 1.0, volume: 60_000_000),
        entry("QQQ", "Invesco QQQ Trust", .etf, price: 460, drift: 0.01, vol: 0.21, beta: 1.2, volume: 40_000_000),
        entry("IWM", "iShares Russell 2000 ETF", .etf, price: 210, drift: -0.01, vol: 0.22, beta: 1.2, volume: 30_000_000),
        entry("EFA", "iShares MSCI EAFE ETF", .etf, price: 80, drift: -0.01, vol: 0.17, beta: 0.9, volume: 15_000_000),
        entry("AGG", "iShares Core U.S. Aggregate Bond ETF", .etf, price: 99, drift: 0.035, vol: 0.06, beta: 0.05, volume: 7_000_000),
        entry("TLT", "iShares 20+ Year Treasury Bond ETF", .etf, price: 92, drift: 0.035, vol: 0.15, beta: -0.2, volume: 35_000_000),
        entry("IEF", "iShares 7-10 Year Treasury Bond ETF", .etf, price: 95, drift: 0.03, vol: 0.07, beta: -0.1, volume: 8_000_000),
        entry("SHY", "iShares 1-3 Year Treasury Bond ETF", .etf, price: 82, drift: 0.035, vol: 0.02, beta: 0.0, volume: 4_000_000),
        entry("GLD", "SPDR Gold Shares", .etf, price: 220, drift: 0.04, vol: 0.15, beta: 0.1, volume: 8_000_000),
        entry("VNQ", "Vanguard Real Estate ETF", .etf, price: 90, drift: 0.0, vol: 0.22, beta: 1.0, volume: 4_000_000),
        entry("USMV", "iShares MSCI USA Min Vol Factor ETF", .etf, price: 88, drift: 0.01, vol: 0.12, beta: 0.7, volume: 2_000_000),
        entry("SPLV", "Invesco S&P 500 Low Volatility ETF", .etf, price: 68, drift: 0.01, vol: 0.12, beta: 0.6, volume: 2_500_000),
        entry("XLU", "Utilities Select Sector SPDR Fund", .etf, price: 72, drift: 0.02, vol: 0.17, beta: 0.5, volume: 12_000_000),
        entry("XLP", "Consumer Staples Select Sector SPDR Fund", .etf, price: 80, drift: 0.02, vol: 0.13, beta: 0.5, volume: 9_000_000),
        entry("BTC-USD", "Bitcoin / US Dollar", .crypto, price: 65_000, drift: 0.15, vol: 0.65, beta: 1.5, volume: 25_000),
        entry("ETH-USD", "Ether / US Dollar", .crypto, price: 3_200, drift: 0.12, vol: 0.75, beta: 1.7, volume: 300_000),
    ]

    public static func entry(for symbol: String) -> Entry? { all.first { $0.instrument.symbol == symbol } }
}

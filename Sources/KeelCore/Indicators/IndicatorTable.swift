/// Every indicator of the library over one bar series, in the column order `keel data indicators` writes:
/// the six standard ones first, then the others.
public struct IndicatorTable: Sendable {
    public static let columns = [
        "close", "sma_20", "ema_20", "rsi_14", "atr_14", "bb_upper", "bb_middle", "bb_lower", "macd", "macd_signal", "macd_hist",
        "wma_20", "adx_14", "stoch_k", "stoch_d", "obv", "roc_10", "mom_10", "volatility_20", "zscore_20",
    ]

    /// One column per name above, each as long as the series.
    public let values: [[Double]]

    public init(_ series: BarSeries) {
        let bands = Indicators.bollinger(series.close)
        let macd = Indicators.macd(series.close)
        let stochastic = Indicators.stochastic(high: series.high, low: series.low, close: series.close)
        values = [
            series.close, Indicators.sma(series.close, period: 20), Indicators.ema(series.close, period: 20), Indicators.rsi(series.close),
            Indicators.atr(high: series.high, low: series.low, close: series.close), bands.upper, bands.middle, bands.lower,
            macd.macd, macd.signal, macd.histogram,
            Indicators.wma(series.close, period: 20), Indicators.adx(high: series.high, low: series.low, close: series.close),
            stochastic.k, stochastic.d, Indicators.obv(close: series.close, volume: series.volume), Indicators.roc(series.close),
            Indicators.momentum(series.close), Indicators.rollingVolatility(series.close), Indicators.rollingZScore(series.close),
        ]
    }

    public func column(_ name: String) -> [Double]? {
        Self.columns.firstIndex(of: name).map { values[$0] }
    }
}

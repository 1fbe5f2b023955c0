import Foundation

/// A deterministic multi-asset market: a common fat-tailed market factor correlates the assets, a regime
/// chain switches drift and volatility, and each asset adds its own fat-tailed noise. The same seed gives
/// the same bars on every machine.
public struct MarketSimulator: Sendable {
    public struct Configuration: Sendable {
        public var seed: UInt64
        /// First calendar day simulated (UTC midnight is used).
        public var start: Date
        public var calendarDays: Int
        public var annualMarketVolatility: Double
        /// Degrees of freedom of the Student-t shocks; lower means fatter tails.
        public var tailDegreesOfFreedom: Int
        public var regimeModel: RegimeModel
        public var initialRegime: MarketRegime

        public init(seed: UInt64, start: Date, calendarDays: Int, annualMarketVolatility: Double = 0.16,
                    tailDegreesOfFreedom: Int = 5, regimeModel: RegimeModel = .standard, initialRegime: MarketRegime = .bull) {
            self.seed = seed
            self.start = start
            self.calendarDays = calendarDays
            self.annualMarketVolatility = annualMarketVolatility
            self.tailDegreesOfFreedom = tailDegreesOfFreedom
            self.regimeModel = regimeModel
            self.initialRegime = initialRegime
        }
    }

    public struct Output: Sendable {
        public var bars: [String: BarSeries]
        /// The regime of every simulated calendar day, in order.
        public var regimes: [(date: Date, regime: MarketRegime)]
    }

    public let configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public func simulate(_ assets: [SimulatedAsset]) -> Output {
        let config = configuration
        var generator = SeededGenerator(seed: config.seed)
        var regime = config.initialRegime
        var lastClose = assets.map(\.startPrice)
        var series = assets.map { asset -> BarSeries in
            var s = BarSeries(symbol: asset.symbol)
            s.reserveCapacity(config.calendarDays)
            return s
        }
        var regimes: [(date: Date, regime: MarketRegime)] = []
        regimes.reserveCapacity(config.calendarDays)
        let firstDay = TradingCalendar.startOfDay(config.start)

        for dayIndex in 0..<config.calendarDays {
            let day = firstDay.addingTimeInterval(Double(dayIndex) * 86_400)
            if dayIndex > 0 { regime = config.regimeModel.next(after: regime, using: &generator) }
            regimes.append((day, regime))
            let regimeParameters = config.regimeModel.parameters[regime] ?? .init(annualMarketDrift: 0.05, volatilityMultiplier: 1)
            let marketShock = Self.boundedTail(generator.nextStudentT(degreesOfFreedom: config.tailDegreesOfFreedom))

            for (index, asset) in assets.enumerated() {
                // Draw every asset's shocks every day, traded or not, so adding an asset never shifts another's path.
                let idiosyncraticShock = Self.boundedTail(generator.nextStudentT(degreesOfFreedom: config.tailDegreesOfFreedom))
                let gapNoise = generator.nextNormal()
                let highNoise = abs(generator.nextNormal())
                let lowNoise = abs(generator.nextNormal())
                let volumeNoise = generator.nextNormal()
                guard TradingCalendar.isTradingDay(day, for: asset.assetClass) else { continue }

                let periodsPerYear = asset.assetClass == .crypto ? 365.0 : 252.0
                let dt = 1 / periodsPerYear
                let k = regimeParameters.volatilityMultiplier
                let systematicVol = asset.marketBeta * config.annualMarketVolatility
                let idiosyncraticVol = max(asset.annualVolatility * asset.annualVolatility - systematicVol * systematicVol,
                                           0.04 * asset.annualVolatility * asset.annualVolatility).squareRoot()
                let totalVol = asset.annualVolatility * k
                let drift = (asset.annualDrift + asset.marketBeta * regimeParameters.annualMarketDrift) * dt
                    - 0.5 * totalVol * totalVol * dt
                let logReturn = drift + k * dt.squareRoot() * (systematicVol * marketShock + idiosyncraticVol * idiosyncraticShock)

                let previous = lastClose[index]
                let dailyVol = totalVol * dt.squareRoot()
                let open = roundPrice(previous * exp(0.2 * dailyVol * gapNoise))
                let close = roundPrice(previous * exp(logReturn))
                let high = max(roundPrice(max(open, close) * exp(0.5 * dailyVol * highNoise)), open, close)
                let low = min(roundPrice(min(open, close) * exp(-0.5 * dailyVol * lowNoise)), open, close)
                let activity = 1 + 2 * min(abs(logReturn) / max(dailyVol, 1e-9), 4)
                var volume = asset.averageVolume * exp(0.3 * volumeNoise) * activity / 2
                volume = asset.assetClass == .crypto ? (volume * 10_000).rounded() / 10_000 : volume.rounded()
                series[index].append(timestamp: day, open: open, high: high, low: max(low, 0.01), close: close, volume: volume)
                lastClose[index] = close
            }
        }

        var bars: [String: BarSeries] = [:]
        for s in series { bars[s.symbol] = s }
        return Output(bars: bars, regimes: regimes)
    }

    /// A unit-variance Student-t draw softly bounded at `tailBound` standard deviations: ordinary days are nearly
    /// unchanged (2 sd becomes 1.85), while the rare 8-12 sd draws that t(5) produces, multiplied by a turbulent
    /// regime's volatility, no longer move a large cap 30-60% in one bar. Real large caps' worst days are about
    /// 4-6 of their average daily standard deviations (AAPL -12.9% in March 2020 at ~2% a day).
    static func boundedTail(_ shock: Double) -> Double {
        tailBound * tanh(shock / tailBound)
    }

    /// Largest standardised shock, in standard deviations of the regime's volatility.
    public static let tailBound = 4.0

    /// Prices in cents, never below one cent.
    private func roundPrice(_ price: Double) -> Double {
        max((price * 100).rounded() / 100, 0.01)
    }
}

import Foundation
import KeelCore

/// The naive and tax-aware policies compared on many seeded sub-universes of the same data instead of one: a single
/// universe's gap is mostly the noise of two diverging paths (one skipped trade changes every later one), so what
/// the tax rules are worth is the distribution of the gaps. Figures are after tax and liquidation, in percentage
/// points of the starting cash. The sub-universes share names, so the draws are not independent and the t statistic
/// overstates the evidence; read it as a yardstick, not a test.
public struct TaxDrawComparison: Sendable, Codable, Hashable {
    public struct Draw: Sendable, Codable, Hashable {
        public var seed: UInt64
        public var symbols: [String]
        /// After-tax-and-liquidation return of each policy, in percent.
        public var naiveReturn: Double
        public var awareReturn: Double
        public var harvests: Int?
        /// The same with each year's tax paid from the account (`TaxReplay.Result.afterTaxFromAccountLiquidatedFinal`);
        /// nil in draws stored before the figure existed.
        public var naiveFromAccountReturn: Double?
        public var awareFromAccountReturn: Double?

        public init(seed: UInt64, symbols: [String], naiveReturn: Double, awareReturn: Double, harvests: Int?,
                    naiveFromAccountReturn: Double? = nil, awareFromAccountReturn: Double? = nil) {
            self.seed = seed
            self.symbols = symbols
            self.naiveReturn = naiveReturn
            self.awareReturn = awareReturn
            self.harvests = harvests
            self.naiveFromAccountReturn = naiveFromAccountReturn
            self.awareFromAccountReturn = awareFromAccountReturn
        }
    }

    /// Mean, sample standard deviation, t statistic and count of draws at least level, of aware − naive differences.
    public struct Summary: Sendable, Codable, Hashable {
        public var meanDifference: Double
        public var differenceDeviation: Double
        public var tStatistic: Double
        public var awareAtLeastNaive: Int
        public var draws: Int

        /// The plain (no-lag) t statistic of the mean; 0 with fewer than two draws or no variance.
        public init(_ differences: [Double]) {
            let plain = NeweyWestMean(differences, lags: 0)
            draws = differences.count
            meanDifference = plain.mean
            differenceDeviation = plain.standardError * Double(differences.count).squareRoot()
            tStatistic = plain.tStatistic
            awareAtLeastNaive = differences.filter { $0 >= 0 }.count
        }
    }

    /// The comparison with each year's tax paid from the account, over the draws that carry it (nil: none does).
    public var fromAccount: Summary? {
        let differences = draws.compactMap { draw in
            draw.awareFromAccountReturn.flatMap { aware in draw.naiveFromAccountReturn.map { aware - $0 } }
        }
        return differences.isEmpty ? nil : Summary(differences)
    }

    public var drawSize: Int
    public var draws: [Draw]

    /// The comparison with the tax paid from outside the portfolio (the replay's main figures).
    public var summary: Summary { Summary(draws.map { $0.awareReturn - $0.naiveReturn }) }

    enum CodingKeys: String, CodingKey { case drawSize, draws, meanDifference, differenceDeviation, tStatistic, awareAtLeastNaive, fromAccount }

    public init(drawSize: Int, draws: [Draw]) {
        self.drawSize = drawSize
        self.draws = draws
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        drawSize = try container.decode(Int.self, forKey: .drawSize)
        draws = try container.decode([Draw].self, forKey: .draws)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(drawSize, forKey: .drawSize)
        try container.encode(draws, forKey: .draws)
        let summary = self.summary
        try container.encode(summary.meanDifference, forKey: .meanDifference)
        try container.encode(summary.differenceDeviation, forKey: .differenceDeviation)
        try container.encode(summary.tStatistic, forKey: .tStatistic)
        try container.encode(summary.awareAtLeastNaive, forKey: .awareAtLeastNaive)
        try container.encodeIfPresent(fromAccount, forKey: .fromAccount)
    }

    /// The symbols of draw `seed`: `size` of `symbols`, chosen uniformly by the seeded generator, in the input's order.
    public static func sample(_ symbols: [String], size: Int, seed: UInt64) -> [String] {
        var generator = SeededGenerator(seed: seed)
        let chosen = Set(symbols.indices.shuffled(using: &generator).prefix(max(0, min(size, symbols.count))))
        return symbols.indices.filter(chosen.contains).map { symbols[$0] }
    }
}

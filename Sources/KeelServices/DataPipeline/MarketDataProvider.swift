import Foundation
import KeelCore

/// One unit of work of a provider: a symbol's bars at one interval, or one fundamentals file.
public struct ProviderItem: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable { case bars, fundamentals }

    public var kind: Kind
    public var symbol: String
    public var interval: String
    /// Where the provider reads it (a file path, or the simulator).
    public var location: String

    public init(kind: Kind = .bars, symbol: String, interval: String, location: String) {
        self.kind = kind
        self.symbol = symbol
        self.interval = interval
        self.location = location
    }
}

public struct FetchedBars: Sendable {
    public var series: BarSeries
    /// NaN where the source has no adjusted close.
    public var adjustedClose: [Double]
    public var intraday: Bool
}

/// A source of market data. Prices and fundamentals reach the pipeline only through this protocol
/// (CSV files, the simulator; Schwab price history joins in the Schwab issue).
public protocol MarketDataProvider: Sendable {
    /// How to rebuild this provider, stored with each run so a failed run can be resumed.
    var descriptor: ProviderDescriptor { get }
    func items() async throws -> [ProviderItem]
    func fetchBars(_ item: ProviderItem) async throws -> FetchedBars
    func fetchFundamentals(_ item: ProviderItem) async throws -> FetchedFundamentals
}

/// Which provider a run reads, as stored in `pipeline_runs.source`.
public enum ProviderDescriptor: Sendable, Codable, Hashable {
    case csv(path: String, symbol: String?, interval: String?, asOf: String?)
    case simulator(seed: UInt64, historyDays: Int, symbols: [String]?)
    case schwab(clientID: Int, symbols: [String], years: Int)

    public func makeProvider(clock: any KeelClock, schwab: SchwabLinkService?, compute: ComputeExecutor = .shared) throws -> any MarketDataProvider {
        switch self {
        case let .csv(path, symbol, interval, asOf):
            return CSVMarketDataProvider(path: path, symbolOverride: symbol, intervalOverride: interval, asOfOverride: asOf, compute: compute)
        case let .simulator(seed, historyDays, symbols):
            return SimulatorMarketDataProvider(seed: seed, historyDays: historyDays, symbols: symbols, clock: clock)
        case let .schwab(clientID, symbols, years):
            guard let schwab else { throw ProviderError("Schwab is not configured on this server") }
            return SchwabPriceHistoryProvider(clientID: clientID, symbols: symbols, years: years, schwab: schwab)
        }
    }

    public var summary: String {
        switch self {
        case let .csv(path, _, _, _): "csv:\(path)"
        case let .simulator(seed, _, _): "simulator(seed \(seed))"
        case let .schwab(clientID, _, _): "schwab(client \(clientID))"
        }
    }
}

/// Provider failures: the run stops at the item, marked failed with this reason, resumable.
public struct ProviderError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

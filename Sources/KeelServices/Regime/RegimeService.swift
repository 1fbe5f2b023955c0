import Foundation
import KeelCore
import KeelStore

/// Market regimes computed from stored bars: the current one and the history of a symbol.
public struct RegimeService: Sendable {
    let context: ServiceContext
    public var classifier = RegimeClassifier()

    public init(context: ServiceContext) {
        self.context = context
    }

    /// Every day of `symbol` in [from, to], classified with all earlier stored bars as its history.
    public func history(symbol raw: String?, from: Date?, to: Date?, by principal: Principal) async throws -> [RegimeDay] {
        _ = principal
        let symbol = try Self.symbol(raw)
        if let from, let to, from > to { throw ServiceError.invalid("from", "from must not be after to") }
        let series = try await context.database.read { try await $0.marketBars.history(symbols: [symbol], since: .distantPast) }.first
        guard let series, series.count > 0 else {
            throw ServiceError(.notFound, code: "no_market_data", message: "no stored bars for \(symbol)", field: "symbol")
        }
        return classifier.classify(series).filter { day in (from.map { day.date >= $0 } ?? true) && (to.map { day.date <= $0 } ?? true) }
    }

    public func current(symbol: String?, by principal: Principal) async throws -> RegimeDay {
        guard let last = try await history(symbol: symbol, from: nil, to: nil, by: principal).last else {
            throw ServiceError(.notFound, code: "no_market_data", message: "no stored bars for \(symbol ?? "")", field: "symbol")
        }
        return last
    }

    static func symbol(_ raw: String?) throws -> String {
        let symbol = (raw ?? "SPY").trimmingCharacters(in: .whitespaces).uppercased()
        guard !symbol.isEmpty, symbol.count <= 20, symbol.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "^" }) else {
            throw ServiceError.invalid("symbol", "symbol must be 1-20 letters, digits, '.', '-' or '^'")
        }
        return symbol
    }
}

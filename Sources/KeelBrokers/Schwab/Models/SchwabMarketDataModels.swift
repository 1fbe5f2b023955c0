import Foundation

public struct SchwabQuoteValues: Codable, Sendable, Hashable {
    public var lastPrice: Double?
    public var mark: Double?
    public var bidPrice: Double?
    public var askPrice: Double?
    public var openPrice: Double?
    public var highPrice: Double?
    public var lowPrice: Double?
    public var closePrice: Double?
    public var netChange: Double?
    public var totalVolume: Double?
    public var quoteTime: Int64?
    public var tradeTime: Int64?
    public var securityStatus: String?

    public init() {}
}

public struct SchwabQuoteEntry: Codable, Sendable, Hashable {
    public var assetMainType: String?
    public var assetSubType: String?
    public var quoteType: String?
    public var realtime: Bool?
    public var ssid: Int64?
    public var symbol: String
    public var quote: SchwabQuoteValues?
}

/// `/quotes`: a map from the requested symbol to its quote, with unknown symbols under `errors`.
public struct SchwabQuotes: Decodable, Sendable {
    public struct Errors: Codable, Sendable, Hashable {
        public var invalidSymbols: [String]?
        public var invalidCusips: [String]?
    }

    public var quotes: [String: SchwabQuoteEntry]
    public var errors: Errors?

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        var quotes: [String: SchwabQuoteEntry] = [:]
        var errors: Errors?
        for key in container.allKeys {
            if key.stringValue == "errors" {
                errors = try container.decode(Errors.self, forKey: key)
            } else {
                quotes[key.stringValue] = try container.decode(SchwabQuoteEntry.self, forKey: key)
            }
        }
        self.quotes = quotes
        self.errors = errors
    }
}

public struct SchwabCandle: Codable, Sendable, Hashable {
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    public var volume: Double
    /// Epoch milliseconds; daily candles sit at midnight America/Chicago.
    public var datetime: Int64
}

public struct SchwabCandleList: Codable, Sendable, Hashable {
    public var symbol: String?
    public var empty: Bool?
    public var previousClose: Double?
    public var previousCloseDate: Int64?
    public var candles: [SchwabCandle]
}

public struct SchwabSessionInterval: Codable, Sendable, Hashable {
    public var start: String
    public var end: String
}

public struct SchwabMarketHours: Codable, Sendable, Hashable {
    public var date: String
    public var marketType: String?
    public var exchange: String?
    public var category: String?
    public var product: String?
    public var productName: String?
    public var isOpen: Bool
    /// Absent on a closed day.
    public var sessionHours: [String: [SchwabSessionInterval]]?
}

public struct SchwabInstrumentsResponse: Codable, Sendable, Hashable {
    public var instruments: [SchwabInstrument]
}

public struct SchwabMovers: Codable, Sendable, Hashable {
    public struct Screener: Codable, Sendable, Hashable {
        public var symbol: String?
        public var description: String?
        public var lastPrice: Double?
        public var netChange: Double?
        public var volume: Double?
        public var totalVolume: Double?
    }

    public var screeners: [Screener]
}

/// Trader API error body.
public struct SchwabServiceErrorBody: Codable, Sendable, Hashable {
    public var message: String?
    public var errors: [String]?
}

/// Market Data error body; `status` is a string in some examples and a number in others.
public struct SchwabMarketDataErrorBody: Codable, Sendable, Hashable {
    public struct Item: Codable, Sendable, Hashable {
        public var id: String?
        public var status: LenientString?
        public var title: String?
        public var detail: String?
    }

    public var errors: [Item]
}

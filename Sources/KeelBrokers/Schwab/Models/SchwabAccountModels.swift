import Foundation

public struct SchwabAccountNumber: Codable, Sendable, Hashable {
    public var accountNumber: String
    public var hashValue: String
}

public struct SchwabInstrument: Codable, Sendable, Hashable {
    public var assetType: String
    public var cusip: String?
    public var symbol: String
    public var description: String?
    public var instrumentId: LenientInt64?
    public var netChange: Double?
    public var type: String?
    public var putCall: String?
    public var underlyingSymbol: String?
    public var exchange: String?
    public var status: String?

    public init(assetType: String, symbol: String) {
        self.assetType = assetType
        self.symbol = symbol
    }
}

public struct SchwabPosition: Codable, Sendable, Hashable {
    public var shortQuantity: Double
    public var longQuantity: Double
    public var averagePrice: Double
    public var averageLongPrice: Double?
    public var averageShortPrice: Double?
    public var marketValue: Double
    public var currentDayProfitLoss: Double?
    public var currentDayProfitLossPercentage: Double?
    public var longOpenProfitLoss: Double?
    public var shortOpenProfitLoss: Double?
    public var settledLongQuantity: Double?
    public var settledShortQuantity: Double?
    public var maintenanceRequirement: Double?
    public var instrument: SchwabInstrument
}

/// Balances vary by account type (margin vs cash); every value is optional.
public struct SchwabBalances: Codable, Sendable, Hashable {
    public var cashBalance: Double?
    public var totalCash: Double?
    public var cashAvailableForTrading: Double?
    public var liquidationValue: Double?
    public var availableFunds: Double?
    public var buyingPower: Double?
    public var equity: Double?
    public var longMarketValue: Double?
    public var accountValue: Double?

    public init() {}
}

public struct SchwabSecuritiesAccount: Codable, Sendable, Hashable {
    public var type: String
    /// A string here, though orders carry the same number as an integer.
    public var accountNumber: LenientString
    public var roundTrips: Int?
    public var isDayTrader: Bool?
    public var isClosingOnlyRestricted: Bool?
    public var pfcbFlag: Bool?
    public var positions: [SchwabPosition]?
    public var initialBalances: SchwabBalances?
    public var currentBalances: SchwabBalances?
    public var projectedBalances: SchwabBalances?
}

public struct SchwabAggregatedBalance: Codable, Sendable, Hashable {
    public var currentLiquidationValue: Double?
    public var liquidationValue: Double?
}

public struct SchwabAccount: Codable, Sendable, Hashable {
    public var securitiesAccount: SchwabSecuritiesAccount
    /// Not in Schwab's spec, but in real responses.
    public var aggregatedBalance: SchwabAggregatedBalance?

    /// Cash as Schwab reports it: the cash balance (margin) or total cash (cash accounts).
    public var cash: Double {
        let balances = securitiesAccount.currentBalances
        return balances?.cashBalance ?? balances?.totalCash ?? balances?.cashAvailableForTrading ?? 0
    }
}

public struct SchwabUserPreference: Codable, Sendable, Hashable {
    public struct Account: Codable, Sendable, Hashable {
        public var accountNumber: String
        public var primaryAccount: Bool?
        public var type: String?
        public var nickName: String?
        public var displayAcctId: String?
        public var autoPositionEffect: Bool?
        public var accountColor: String?
        public var lotSelectionMethod: String?
    }

    public struct StreamerInfo: Codable, Sendable, Hashable {
        public var streamerSocketUrl: String?
        public var schwabClientCustomerId: String?
        public var schwabClientCorrelId: String?
        public var schwabClientChannel: String?
        public var schwabClientFunctionId: String?
    }

    public struct Offer: Codable, Sendable, Hashable {
        public var level2Permissions: Bool?
        public var mktDataPermission: String?
    }

    public var accounts: [Account]
    public var streamerInfo: [StreamerInfo]
    public var offers: [Offer]?
}

import Foundation

public struct SchwabOrderLeg: Codable, Sendable, Hashable {
    public var orderLegType: String?
    public var legId: LenientInt64?
    public var instrument: SchwabInstrument
    public var instruction: String
    public var positionEffect: String?
    public var quantity: Double
    public var quantityType: String?
}

public struct SchwabExecutionLeg: Codable, Sendable, Hashable {
    public var legId: LenientInt64?
    public var quantity: Double
    public var mismarkedQuantity: Double?
    public var price: Double
    public var time: Date
    public var instrumentId: LenientInt64?
}

public struct SchwabOrderActivity: Codable, Sendable, Hashable {
    public var activityType: String?
    public var activityId: LenientInt64?
    public var executionType: String?
    public var quantity: Double?
    public var orderRemainingQuantity: Double?
    public var executionLegs: [SchwabExecutionLeg]?
}

/// An order as Schwab returns it.
public final class SchwabOrder: Codable, Sendable {
    public let session: String?
    public let duration: String?
    public let orderType: String?
    public let complexOrderStrategyType: String?
    public let quantity: Double?
    public let filledQuantity: Double?
    public let remainingQuantity: Double?
    public let requestedDestination: String?
    public let destinationLinkName: String?
    public let price: LenientDouble?
    public let stopPrice: LenientDouble?
    public let orderLegCollection: [SchwabOrderLeg]?
    public let orderStrategyType: String?
    public let orderId: LenientInt64?
    public let cancelable: Bool?
    public let editable: Bool?
    public let status: String
    public let statusDescription: String?
    public let enteredTime: Date?
    public let closeTime: Date?
    public let tag: String?
    /// An integer here, though accounts carry it as a string.
    public let accountNumber: LenientString?
    public let orderActivityCollection: [SchwabOrderActivity]?
    public let childOrderStrategies: [SchwabOrder]?
    public let replacingOrderCollection: [SchwabOrder]?

    /// Every execution leg of the order, oldest first.
    public var executions: [SchwabExecutionLeg] {
        (orderActivityCollection ?? []).filter { $0.activityType == "EXECUTION" }.flatMap { $0.executionLegs ?? [] }
            .sorted { $0.time < $1.time }
    }
}

/// The body of `POST/PUT …/orders` for a single-leg equity order. `price` is sent as a string, as Schwab's
/// own samples do.
public struct SchwabOrderRequest: Codable, Sendable, Hashable {
    public struct Leg: Codable, Sendable, Hashable {
        public var instruction: String
        public var instrument: Instrument
        public var quantity: Double
    }

    public struct Instrument: Codable, Sendable, Hashable {
        public var assetType: String
        public var symbol: String
    }

    public var session: String
    public var duration: String
    public var orderType: String
    public var price: String?
    public var orderLegCollection: [Leg]
    public var orderStrategyType: String

    public static func equity(symbol: String, instruction: String, quantity: Double, limitPrice: Decimal? = nil) -> SchwabOrderRequest {
        SchwabOrderRequest(session: "NORMAL", duration: "DAY", orderType: limitPrice == nil ? "MARKET" : "LIMIT",
                           price: limitPrice.map { "\($0)" },
                           orderLegCollection: [Leg(instruction: instruction, instrument: Instrument(assetType: "EQUITY", symbol: symbol), quantity: quantity)],
                           orderStrategyType: "SINGLE")
    }
}

public struct SchwabTransferItem: Codable, Sendable, Hashable {
    public var instrument: SchwabInstrument?
    public var amount: Double?
    public var cost: Double?
    public var price: Double?
    public var positionEffect: String?
    public var feeType: String?
}

public struct SchwabTransaction: Codable, Sendable, Hashable {
    public var activityId: LenientInt64
    public var time: Date
    public var type: String
    public var status: String?
    public var subAccount: String?
    /// A date-time in the spec, a bare date in recordings: both decode.
    public var tradeDate: Date?
    public var positionId: LenientInt64?
    /// An integer in the spec, a string in recordings.
    public var orderId: LenientString?
    public var netAmount: Double?
    public var transferItems: [SchwabTransferItem]?
}

public struct SchwabPreviewOrder: Codable, Sendable {
    public struct ValidationResult: Codable, Sendable {
        public struct Item: Codable, Sendable {
            public var validationRuleName: String?
            public var message: String?
            public var activityMessage: String?
            public var originalSeverity: String?
        }

        public var accepts: [Item]?
        public var alerts: [Item]?
        public var rejects: [Item]?
        public var reviews: [Item]?
        public var warns: [Item]?
    }

    public var orderId: LenientInt64?
    public var orderValidationResult: ValidationResult?
}

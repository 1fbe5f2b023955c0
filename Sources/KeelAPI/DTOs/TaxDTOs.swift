import Foundation
import KeelCore
import KeelStore
import Vapor

/// One lot's part of a sale, as Form 8949 reports it (dates as days, money to the cent).
struct RealizedLotResponse: Content {
    var realizedId: String
    var accountHash: String
    var saleId: String
    var lotId: String
    var symbol: String
    var quantity: Decimal
    var acquiredOn: String
    var soldOn: String
    var term: String
    var proceeds: Decimal
    /// Null when the broker gave no basis for these shares.
    var costBasis: Decimal?
    var washSaleDisallowed: Decimal
    var gainOrLoss: Decimal?

    init(_ stored: StoredRealizedLot) {
        let lot = stored.lot
        realizedId = lot.realizedID
        accountHash = stored.accountHash
        saleId = lot.saleID
        lotId = lot.lotID
        symbol = lot.symbol
        quantity = lot.quantity
        acquiredOn = lot.acquiredOn.description
        soldOn = lot.soldOn.description
        term = lot.term.rawValue
        proceeds = lot.proceeds.roundedToCents
        costBasis = lot.basisKnown ? lot.costBasis.roundedToCents : nil
        washSaleDisallowed = lot.washDisallowed.roundedToCents
        gainOrLoss = lot.basisKnown ? lot.reportableGain.roundedToCents : nil
    }
}

struct RealizedYearResponse: Content {
    var clientId: Int
    var year: Int
    var shortTermGain: Decimal
    var longTermGain: Decimal
    var washSaleDisallowed: Decimal
    var unknownBasisLots: Int
    var lots: [RealizedLotResponse]
    var notice: String
}

struct TaxLotResponse: Content {
    var lotId: String
    var symbol: String
    var quantity: Decimal
    var acquiredOn: String
    /// The holding period's start: the purchase day, or earlier when a wash sale carried one over.
    var heldSince: String
    var costBasis: Decimal?
    var washSaleAdjustment: Decimal

    init(_ lot: TaxLot) {
        lotId = lot.lotID
        symbol = lot.symbol
        quantity = lot.quantity
        acquiredOn = lot.acquiredOn.description
        heldSince = lot.heldSince.description
        costBasis = lot.basisKnown ? lot.costBasis.roundedToCents : nil
        washSaleAdjustment = lot.washAdjustment.roundedToCents
    }
}

struct IdenticalGroupsBody: Content {
    var groups: [[String]]?
}

struct IdenticalGroupsResponse: Content {
    var groups: [[String]]
}

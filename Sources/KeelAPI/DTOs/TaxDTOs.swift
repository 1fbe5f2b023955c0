import Foundation
import KeelCore
import KeelServices
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

/// Symbol → the security a harvest buys in its place.
struct SubstitutesBody: Content {
    var substitutes: [String: String]?
}

struct SubstitutesResponse: Content {
    var substitutes: [String: String]
}

struct HarvestResponse: Content {
    var harvestId: String
    var accountHash: String
    var batchId: String
    var batchStatus: String
    var symbol: String
    var substitute: String
    var lotIds: [String]
    var quantity: Decimal
    var harvestedOn: String
    var estimatedLoss: Decimal
    var estimatedTaxSaved: Decimal
    /// What the sale's fills realised (null until it fills).
    var realizedLoss: Decimal?
    var swapBackBatchId: String?
    var swapBackStatus: String?

    init(_ row: HarvestReportRow) {
        harvestId = row.harvest.harvestID
        accountHash = row.harvest.accountHash
        batchId = row.harvest.batchID
        batchStatus = row.batchStatus
        symbol = row.harvest.symbol
        substitute = row.harvest.substitute
        lotIds = row.harvest.lotIDs
        quantity = row.harvest.quantity
        harvestedOn = row.harvest.harvestedOn.description
        estimatedLoss = row.harvest.estimatedLoss
        estimatedTaxSaved = row.harvest.estimatedTaxSaved
        realizedLoss = row.realizedLoss?.roundedToCents
        swapBackBatchId = row.harvest.swapBackBatchID
        swapBackStatus = row.swapBackStatus
    }
}

struct HarvestYearResponse: Content {
    var clientId: Int
    var year: Int
    var harvestedLoss: Decimal
    var harvests: [HarvestResponse]
    var notice: String
}

struct TaxPreferencesResponse: Content {
    var clientId: Int
    /// Null: by account type (individual and joint accounts taxable, retirement accounts not).
    var taxable: Bool?
    var shortTermRate: Decimal
    var longTermRate: Decimal
    var yearlyGainsBudget: Decimal?
    var lotMethod: String
    var driftTaxTolerance: Double
    var harvest: Bool
    var harvestMinimumLoss: Decimal
    var harvestMinimumLossPercent: Double
    var updatedBy: String
    var updatedAt: Date

    init(_ record: TaxPreferencesRecord) {
        clientId = record.clientID
        taxable = record.taxable
        shortTermRate = record.rates.shortTerm
        longTermRate = record.rates.longTerm
        yearlyGainsBudget = record.yearlyGainsBudget
        lotMethod = record.lotMethod.name
        driftTaxTolerance = record.driftTaxTolerance
        harvest = record.harvest
        harvestMinimumLoss = record.harvestMinimumLoss
        harvestMinimumLossPercent = record.harvestMinimumLossPercent
        updatedBy = record.updatedBy
        updatedAt = record.updatedAt
    }
}

/// A tax preferences update: fields left out stay as they are; `taxable` or `yearly_gains_budget` null clears them.
struct TaxPreferencesRequest: Content {
    var taxable: Bool??
    var shortTermRate: Decimal?
    var longTermRate: Decimal?
    var yearlyGainsBudget: Decimal??
    var lotMethod: String?
    var driftTaxTolerance: Double?
    var harvest: Bool?
    var harvestMinimumLoss: Decimal?
    var harvestMinimumLossPercent: Double?

    enum CodingKeys: String, CodingKey {
        case taxable, shortTermRate, longTermRate, yearlyGainsBudget, lotMethod, driftTaxTolerance, harvest, harvestMinimumLoss, harvestMinimumLossPercent
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // Present and null is "clear"; absent is "keep".
        taxable = container.contains(.taxable) ? .some(try container.decodeIfPresent(Bool.self, forKey: .taxable)) : nil
        yearlyGainsBudget = container.contains(.yearlyGainsBudget) ? .some(try container.decodeIfPresent(Decimal.self, forKey: .yearlyGainsBudget)) : nil
        shortTermRate = try container.decodeIfPresent(Decimal.self, forKey: .shortTermRate)
        longTermRate = try container.decodeIfPresent(Decimal.self, forKey: .longTermRate)
        lotMethod = try container.decodeIfPresent(String.self, forKey: .lotMethod)
        driftTaxTolerance = try container.decodeIfPresent(Double.self, forKey: .driftTaxTolerance)
        harvest = try container.decodeIfPresent(Bool.self, forKey: .harvest)
        harvestMinimumLoss = try container.decodeIfPresent(Decimal.self, forKey: .harvestMinimumLoss)
        harvestMinimumLossPercent = try container.decodeIfPresent(Double.self, forKey: .harvestMinimumLossPercent)
    }

    init(lotMethod: String?, harvest: Bool?) {
        self.lotMethod = lotMethod
        self.harvest = harvest
    }

    var input: TaxService.PreferencesInput {
        TaxService.PreferencesInput(taxable: taxable, shortTermRate: shortTermRate, longTermRate: longTermRate, yearlyGainsBudget: yearlyGainsBudget,
                                    lotMethod: lotMethod, driftTaxTolerance: driftTaxTolerance, harvest: harvest, harvestMinimumLoss: harvestMinimumLoss,
                                    harvestMinimumLossPercent: harvestMinimumLossPercent)
    }
}

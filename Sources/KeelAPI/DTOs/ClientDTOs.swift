import Foundation
import KeelServices
import KeelStore
import Vapor

/// Create and update body. Every field optional here so the service can name what is missing;
/// a `client_id` in the body is ignored.
struct ClientRequest: Content {
    var firstName: String?
    var lastName: String?
    var email: String?
    var phone: String?
    var dateOfBirth: String?
    var riskTolerance: String?
    var investmentHorizonYears: Int?
    var userId: String?
    var portfolioId: Int?

    var input: ClientInput {
        ClientInput(firstName: firstName, lastName: lastName, email: email, phone: phone, dateOfBirth: dateOfBirth,
                    riskTolerance: riskTolerance, investmentHorizonYears: investmentHorizonYears, userID: userId, portfolioID: portfolioId)
    }
}

struct ClientResponse: Content {
    var clientId: Int
    var firstName: String
    var lastName: String
    var email: String
    var phone: String?
    var dateOfBirth: String?
    var riskTolerance: String
    var investmentHorizonYears: Int?
    var status: String
    var userId: String?
    var createdBy: String
    var createdAt: Date
    var updatedAt: Date

    init(_ client: ClientRecord) {
        clientId = client.clientID
        firstName = client.firstName
        lastName = client.lastName
        email = client.email
        phone = client.phone
        dateOfBirth = client.dateOfBirth
        riskTolerance = client.riskTolerance
        investmentHorizonYears = client.investmentHorizonYears
        status = client.status.rawValue
        userId = client.userID
        createdBy = client.createdBy
        createdAt = client.createdAt
        updatedAt = client.updatedAt
    }
}

struct PreferencesRequest: Content {
    var portfolioId: Int?
    var maxPositions: Int?
    var maxWeight: Double?
    var cashBuffer: Double?
    var driftThreshold: Double?
    var excludedSymbols: [String]?
    var requireApproval: Bool?
    var tradingMode: String?
    /// Drawdown from the account's peak that makes the autonomous cycle de-risk (0.15 = 15 %); 0 removes it.
    var maxDrawdownLimit: Double?
    /// Annualised 20-day volatility that makes the cycle de-risk; 0 removes it.
    var maxVolatilityLimit: Double?
    /// `defensive` (the low-volatility model portfolio) or `cash` (a quarter of the usual exposure).
    var deriskAction: String?

    var input: PreferencesInput {
        PreferencesInput(portfolioID: portfolioId, maxPositions: maxPositions, maxWeight: maxWeight, cashBuffer: cashBuffer,
                         driftThreshold: driftThreshold, excludedSymbols: excludedSymbols, requireApproval: requireApproval,
                         tradingMode: tradingMode, maxDrawdownLimit: maxDrawdownLimit, maxVolatilityLimit: maxVolatilityLimit,
                         deriskAction: deriskAction)
    }
}

struct PreferencesResponse: Content {
    var clientId: Int
    var portfolioId: Int
    var maxPositions: Int
    var maxWeight: Double
    var cashBuffer: Double
    var driftThreshold: Double
    var excludedSymbols: [String]
    var requireApproval: Bool
    var tradingMode: String
    var maxDrawdownLimit: Double?
    var maxVolatilityLimit: Double?
    var deriskAction: String
    var updatedBy: String
    var updatedAt: Date

    init(_ record: PreferencesRecord) {
        clientId = record.clientID
        portfolioId = record.portfolioID
        maxPositions = record.maxPositions
        maxWeight = record.maxWeight
        cashBuffer = record.cashBuffer
        driftThreshold = record.driftThreshold
        excludedSymbols = record.excludedSymbols
        requireApproval = record.requireApproval
        tradingMode = record.tradingMode.rawValue
        maxDrawdownLimit = record.maxDrawdownLimit
        maxVolatilityLimit = record.maxVolatilityLimit
        deriskAction = record.deriskAction.rawValue
        updatedBy = record.updatedBy
        updatedAt = record.updatedAt
    }
}

import Foundation
import KeelServices
import KeelStore
import Vapor

struct AccountLinkRequest: Content {
    var clientId: Int?
    var brokerageId: Int?
    var accountNumber: String?
    var accountHash: String?
    var accountType: String?
    var nickname: String?
    var startingCash: Decimal?

    var input: AccountLinkInput {
        AccountLinkInput(clientID: clientId, brokerageID: brokerageId, accountNumber: accountNumber, accountHash: accountHash,
                         accountType: accountType, nickname: nickname, startingCash: startingCash)
    }
}

struct AccountResponse: Content {
    var accountId: Int
    var accountHash: String
    var clientId: Int
    var brokerageId: Int
    var brokerage: String
    /// Only the last four characters: account numbers are not shown in full.
    var accountNumber: String
    var accountType: String
    var nickname: String?
    var status: String
    var cash: Decimal
    var currency: String
    var createdAt: Date
    /// Why new orders are halted (a reconciliation difference), or null.
    var haltedReason: String?
    var haltedAt: Date?

    init(_ account: AccountRecord) {
        accountId = account.accountID
        accountHash = account.accountHash
        clientId = account.clientID
        brokerageId = account.brokerage.brokerageID
        brokerage = account.brokerage.code
        accountNumber = "****" + account.accountNumber.suffix(4)
        accountType = account.accountType
        nickname = account.nickname
        status = account.status.rawValue
        cash = account.cash
        currency = account.currency
        createdAt = account.createdAt
        haltedReason = account.haltedReason
        haltedAt = account.haltedAt
    }
}

struct BrokerageResponse: Content {
    var brokerageId: Int
    var code: String
    var name: String
    var supportsLive: Bool
}

struct ModelPortfolioResponse: Content {
    var portfolioId: Int
    var name: String
    var strategy: String
    var riskLevel: String
    var description: String
    var universe: [String]
}

struct CashFlowRequest: Content {
    /// Positive for a deposit, negative for a withdrawal; at most two decimals.
    var amount: Decimal?
    var note: String?
}

struct CashFlowResponse: Content {
    var flowId: String
    var accountHash: String
    var day: String
    var amount: Decimal
    var note: String?
    var recordedBy: String
    var createdAt: Date

    init(_ flow: CashFlowRecord) {
        flowId = flow.flowID
        accountHash = flow.accountHash
        day = flow.day
        amount = flow.amount
        note = flow.note
        recordedBy = flow.recordedBy
        createdAt = flow.createdAt
    }
}

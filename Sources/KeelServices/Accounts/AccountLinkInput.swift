import Foundation

public struct AccountLinkInput: Sendable {
    public var clientID: Int?
    public var brokerageID: Int?
    public var accountNumber: String?
    public var accountHash: String?
    public var accountType: String?
    public var nickname: String?
    /// Paper accounts only: the cash the account opens with.
    public var startingCash: Decimal?

    public init(clientID: Int?, brokerageID: Int?, accountNumber: String?, accountHash: String?, accountType: String?,
                nickname: String? = nil, startingCash: Decimal? = nil) {
        self.clientID = clientID
        self.brokerageID = brokerageID
        self.accountNumber = accountNumber
        self.accountHash = accountHash
        self.accountType = accountType
        self.nickname = nickname
        self.startingCash = startingCash
    }
}

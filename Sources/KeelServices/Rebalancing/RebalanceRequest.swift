public struct RebalanceRequest: Sendable {
    public var clientID: Int?
    public var accountHash: String?
    /// Overrides the client's model portfolio for this batch.
    public var portfolioID: Int?
    /// Overrides the client's max positions for this batch.
    public var maxPositions: Int?
    /// Overrides the client's approval preference for this batch.
    public var requireApproval: Bool?

    public init(clientID: Int?, accountHash: String?, portfolioID: Int? = nil, maxPositions: Int? = nil, requireApproval: Bool? = nil) {
        self.clientID = clientID
        self.accountHash = accountHash
        self.portfolioID = portfolioID
        self.maxPositions = maxPositions
        self.requireApproval = requireApproval
    }
}

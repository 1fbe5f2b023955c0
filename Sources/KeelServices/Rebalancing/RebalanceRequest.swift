public struct RebalanceRequest: Sendable {
    public var clientID: Int?
    public var accountHash: String?
    /// Overrides the client's model portfolio for this batch.
    public var portfolioID: Int?
    /// Overrides the client's max positions for this batch.
    public var maxPositions: Int?
    /// Overrides the client's approval preference for this batch.
    public var requireApproval: Bool?
    /// Let the account's financial goals set the risk factor and strategy (default true when it has goals).
    public var useGoals: Bool?

    public init(clientID: Int?, accountHash: String?, portfolioID: Int? = nil, maxPositions: Int? = nil, requireApproval: Bool? = nil,
                useGoals: Bool? = nil) {
        self.useGoals = useGoals
        self.clientID = clientID
        self.accountHash = accountHash
        self.portfolioID = portfolioID
        self.maxPositions = maxPositions
        self.requireApproval = requireApproval
    }
}

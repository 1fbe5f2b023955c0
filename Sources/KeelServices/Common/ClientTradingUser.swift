import KeelStore

extension ClientRecord {
    /// The user id Keel's own trades of this client are recorded under (`trades.user_id`), and the user whose
    /// goals steer the client's rebalances: the client's login, or the generated identity `client:<id>` for a
    /// client without one. The colon is outside the characters a login may use, so no person can register
    /// (and so own) a generated identity.
    public var tradingUserID: String { userID ?? Self.generatedTradingUserID(clientID) }

    public static func generatedTradingUserID(_ clientID: Int) -> String { "client:\(clientID)" }
}

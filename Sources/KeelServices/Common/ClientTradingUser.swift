import KeelStore

extension ClientRecord {
    /// The user id Keel's own trades of this client are recorded under (`trades.user_id`), and the user whose
    /// goals steer the client's rebalances: the client's login, or `client-<id>` for a client without one.
    public var tradingUserID: String { userID ?? "client-\(clientID)" }
}

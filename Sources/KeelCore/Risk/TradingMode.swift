/// How an approved batch is carried out.
public enum TradingMode: String, Sendable, Codable, CaseIterable {
    /// Simulate everything, change nothing.
    case dryRun = "dry_run"
    /// Simulated fills at the paper broker; paper positions change.
    case paper
    /// Real orders at the account's broker.
    case live
}

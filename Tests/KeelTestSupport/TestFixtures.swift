import Foundation
import KeelCore

/// Fixed facts every test database shares, so tests can log in and price orders deterministically.
public enum TestFixtures {
    /// "Now" in every test app: the simulated market ends on this day.
    public static let now = ISO8601DateFormatter().date(from: "2026-06-01T15:00:00Z")!
    public static let adminPassword = "admin-test-password"
    public static let advisorUserID = "advisor"
    public static let advisorPassword = "advisor-test-password"
    public static let marketSeed: UInt64 = 424_242
    /// Bcrypt's lowest cost keeps logins fast in tests; production uses 12.
    public static let bcryptCost = 4
}

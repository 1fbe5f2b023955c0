import Foundation
import KeelCore

/// Realistic, seeded test data: the same seed gives the same people, different seeds never collide.
public struct Factory: Sendable {
    private static let firstNames = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Katherine", "Linus", "Margaret", "Niklaus"]
    private static let lastNames = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Johnson", "Torvalds", "Hamilton", "Wirth"]

    public let seed: UInt64

    public init(seed: UInt64 = UInt64.random(in: 1...UInt64.max)) {
        self.seed = seed
    }

    /// A complete client body for POST /api/clients/.
    public func client(_ index: Int = 0, riskTolerance: String = "aggressive") -> [String: any Sendable] {
        var generator = SeededGenerator(seed: seed &+ UInt64(index))
        let first = Self.firstNames[Int(generator.next() % UInt64(Self.firstNames.count))]
        let last = Self.lastNames[Int(generator.next() % UInt64(Self.lastNames.count))]
        let tag = String(generator.next() % 1_000_000_000, radix: 36)
        let year = 1950 + Int(generator.next() % 50)
        return [
            "first_name": first, "last_name": last,
            "email": "\(first.lowercased()).\(last.lowercased()).\(tag)@example.com",
            "phone": "+1 555 \(100 + generator.next() % 900) \(1000 + generator.next() % 9000)",
            "date_of_birth": "\(year)-0\(1 + generator.next() % 9)-1\(generator.next() % 9)",
            "risk_tolerance": riskTolerance, "investment_horizon_years": 5 + Int(generator.next() % 25),
        ]
    }

    /// A unique account hash for this factory.
    public func accountHash(_ index: Int = 0) -> String {
        "acct-\(seed % 1_000_000_007)-\(index)-test"
    }
}

import Foundation
import KeelCore
import KeelStore

/// A client's realised gains by tax year (and as Form 8949 rows), an account's open lots, the substantially
/// identical groups, and the lot ledger's agreement with the positions. Not tax advice: figures for the advisor and
/// the client's tax preparer.
public struct TaxService: Sendable {
    let context: ServiceContext

    public init(context: ServiceContext) {
        self.context = context
    }

    /// A tax year's realised lots of a client with the year's totals.
    public struct RealizedYear: Sendable {
        public var clientID: Int
        public var year: Int
        public var lots: [StoredRealizedLot]
        public var shortTermGain: Decimal
        public var longTermGain: Decimal
        public var washDisallowed: Decimal
        /// Shares sold whose basis the broker never gave (their gain is not counted above).
        public var unknownBasisLots: Int
    }

    public func realized(clientID: Int, year: Int, by principal: Principal) async throws -> RealizedYear {
        try principal.ensureAccess(toClient: clientID)
        let year = try FieldValidation.range(year, 1900...2200, field: "year")
        let lots = try await context.database.read { session -> [StoredRealizedLot] in
            guard try await session.clients.find(clientID) != nil else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
            return try await session.taxLots.realized(clientID: clientID, year: year)
        }
        var short: Decimal = 0, long: Decimal = 0, disallowed: Decimal = 0
        for stored in lots where stored.lot.basisKnown {
            if stored.lot.term == .short { short += stored.lot.reportableGain } else { long += stored.lot.reportableGain }
            disallowed += stored.lot.washDisallowed
        }
        return RealizedYear(clientID: clientID, year: year, lots: lots, shortTermGain: short.roundedToCents, longTermGain: long.roundedToCents,
                            washDisallowed: disallowed.roundedToCents, unknownBasisLots: lots.filter { !$0.lot.basisKnown }.count)
    }

    /// The year as Form 8949 rows, in the form's column order (CSV).
    public func form8949(clientID: Int, year: Int, by principal: Principal) async throws -> String {
        let realized = try await realized(clientID: clientID, year: year, by: principal)
        return Form8949.csv(Form8949.rows(realized.lots.map(\.lot), year: realized.year))
    }

    /// An account's open lots, oldest first.
    public func lots(accountHash: String, by principal: Principal) async throws -> [TaxLot] {
        try await context.database.read { session in
            guard let account = try await session.accounts.find(hash: accountHash) else {
                throw ServiceError.notFound("account \(accountHash)", field: "account_hash")
            }
            try principal.ensureAccess(toClient: account.clientID)
            return try await session.taxLots.lots(accountHashes: [accountHash])[accountHash] ?? []
        }
    }

    public func identicalGroups(by principal: Principal) async throws -> [[String]] {
        try principal.ensureStaff()
        let groups = try await context.database.read { try await $0.taxLots.identicalGroups() }
        return groups.groups
    }

    /// Replaces the substantially identical groups (staff): each group two to 50 symbols, a symbol in one group.
    public func setIdenticalGroups(_ groups: [[String]], by principal: Principal) async throws -> [[String]] {
        try principal.ensureStaff()
        _ = try FieldValidation.range(groups.count, 0...500, field: "groups")
        var seen: Set<String> = []
        for (index, group) in groups.enumerated() {
            let members = Set(group.map { $0.trimmingCharacters(in: .whitespaces).uppercased() })
            guard (2...50).contains(members.count) else { throw ServiceError.invalid("groups.\(index)", "a group needs 2 to 50 different symbols") }
            for symbol in members {
                guard !symbol.isEmpty, symbol.count <= 20, symbol.allSatisfy({ $0.isLetter || $0.isNumber || ".-/".contains($0) }) else {
                    throw ServiceError.invalid("groups.\(index)", "\(symbol.prefix(20)) is not a symbol")
                }
                guard seen.insert(symbol).inserted else { throw ServiceError.invalid("groups.\(index)", "\(symbol) is in two groups") }
            }
        }
        let cleaned = groups.map { Array(Set($0.map { $0.trimmingCharacters(in: .whitespaces).uppercased() })).sorted() }
        try await context.database.write { session in
            try await session.taxLots.setIdenticalGroups(cleaned)
            try await session.operations.append([AuditEntry(at: context.clock.now(), actor: principal.userID, action: "tax.identical_groups",
                                                            entityType: "tax", entityID: "identical_groups", clientID: nil,
                                                            details: try StoredJSON.encode(["groups": cleaned.map { $0.joined(separator: " ") }.joined(separator: "; ")]))])
        }
        return cleaned.sorted { $0[0] < $1[0] }
    }

    /// Rebuilds the lots of accounts whose fills predate the lot ledger (at start-up); returns how many.
    @discardableResult
    public func backfill() async throws -> Int {
        try await context.database.write { try await TaxLedger.backfill(session: $0) }
    }

    /// Symbols whose lots and positions disagree, per account (empty when the ledgers agree).
    public func mismatches(accountHashes: [String]) async throws -> [(accountHash: String, symbol: String, lots: Decimal, position: Decimal)] {
        try await context.database.read { try await TaxLedger.mismatches(accountHashes: accountHashes, session: $0) }
            .map { ($0.accountHash, $0.symbol, $0.lots, $0.position) }
    }
}

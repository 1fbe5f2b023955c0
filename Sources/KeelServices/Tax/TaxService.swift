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

    /// `year` nil: the current tax year.
    public func realized(clientID: Int, year: Int?, by principal: Principal) async throws -> RealizedYear {
        try principal.ensureAccess(toClient: clientID)
        let year = try FieldValidation.range(year ?? CivilDay(context.clock.now()).components.year, 1900...2200, field: "year")
        let lots = try await context.database.read { session -> [StoredRealizedLot] in
            guard try await session.clients.find(clientID) != nil else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
            return try await session.taxLots.realized(clientID: clientID, year: year)
        }
        let totals = RealizedTotals(lots.lazy.map(\.lot))
        return RealizedYear(clientID: clientID, year: year, lots: lots, shortTermGain: totals.shortTerm.roundedToCents,
                            longTermGain: totals.longTerm.roundedToCents, washDisallowed: totals.washDisallowed.roundedToCents,
                            unknownBasisLots: lots.filter { !$0.lot.basisKnown }.count)
    }

    /// The year as Form 8949 rows, in the form's column order (CSV).
    public func form8949(clientID: Int, year: Int?, by principal: Principal) async throws -> String {
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
            try await session.taxLots.setIdenticalGroups(cleaned, in: session)
            try await session.operations.append([AuditEntry(at: context.clock.now(), actor: principal.userID, action: "tax.identical_groups",
                                                            entityType: "tax", entityID: "identical_groups", clientID: nil,
                                                            details: try StoredJSON.encode(["groups": cleaned.map { $0.joined(separator: " ") }.joined(separator: "; ")]))])
        }
        return cleaned.sorted { $0[0] < $1[0] }
    }

    /// The substitute each security is harvested into (staff).
    public func substitutes(by principal: Principal) async throws -> [String: String] {
        try principal.ensureStaff()
        return try await context.database.read { try await $0.taxHarvests.substitutes() }
    }

    /// Replaces the substitute list (staff): symbol → the security bought in its place. A substitute must not be
    /// substantially identical to its symbol (the loss would be disallowed); a pair is one direction, so an
    /// advisor lists both to harvest either way.
    public func setSubstitutes(_ pairs: [String: String], by principal: Principal) async throws -> [String: String] {
        try principal.ensureStaff()
        _ = try FieldValidation.range(pairs.count, 0...1_000, field: "substitutes")
        var cleaned: [String: String] = [:]
        for (symbol, substitute) in pairs {
            let from = symbol.trimmingCharacters(in: .whitespaces).uppercased(), to = substitute.trimmingCharacters(in: .whitespaces).uppercased()
            for candidate in [from, to] {
                guard !candidate.isEmpty, candidate.count <= 20, candidate.allSatisfy({ $0.isLetter || $0.isNumber || ".-/".contains($0) }) else {
                    throw ServiceError.invalid("substitutes.\(symbol.prefix(20))", "\(candidate.prefix(20)) is not a symbol")
                }
            }
            guard from != to else { throw ServiceError.invalid("substitutes.\(from)", "a security cannot substitute for itself") }
            guard cleaned.updateValue(to, forKey: from) == nil else { throw ServiceError.invalid("substitutes.\(from)", "\(from) is listed twice") }
        }
        let pairs = cleaned
        return try await context.database.write { session in
            let identical = try await session.taxLots.identicalGroups()
            if let (from, to) = pairs.sorted(by: { $0.key < $1.key }).first(where: { identical.same($0.key, $0.value) }) {
                throw ServiceError.invalid("substitutes.\(from)", "\(to) is substantially identical to \(from) (a harvest into it would be a wash sale)")
            }
            try await session.taxHarvests.setSubstitutes(pairs, in: session)
            try await session.operations.append([AuditEntry(at: context.clock.now(), actor: principal.userID, action: "tax.harvest_substitutes",
                                                            entityType: "tax", entityID: "harvest_substitutes", clientID: nil,
                                                            details: try StoredJSON.encode(["substitutes": pairs.sorted { $0.key < $1.key }
                                                                .map { "\($0.key)>\($0.value)" }.joined(separator: " ")]))])
            return pairs
        }
    }

    /// A client's tax-loss harvests of a year: each harvest, what its batch became, the loss its sale realised.
    public struct HarvestYear: Sendable {
        public var clientID: Int
        public var year: Int
        public var harvests: [HarvestReportRow]
        /// The losses realised by harvests that traded (negative).
        public var harvestedLoss: Decimal
    }

    public func harvests(clientID: Int, year: Int?, by principal: Principal) async throws -> HarvestYear {
        try principal.ensureAccess(toClient: clientID)
        let year = try FieldValidation.range(year ?? CivilDay(context.clock.now()).components.year, 1900...2200, field: "year")
        let rows = try await context.database.read { session -> [HarvestReportRow] in
            guard try await session.clients.find(clientID) != nil else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
            return try await session.taxHarvests.report(clientID: clientID, year: year)
        }
        return HarvestYear(clientID: clientID, year: year, harvests: rows,
                           harvestedLoss: rows.reduce(Decimal(0)) { $0 + ($1.realizedLoss ?? 0) }.roundedToCents)
    }

    public func preferences(clientID: Int, by principal: Principal) async throws -> TaxPreferencesRecord {
        try principal.ensureAccess(toClient: clientID)
        return try await context.database.read { session in
            guard try await session.clients.find(clientID) != nil else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
            return try await session.taxPreferences.find(clientIDs: [clientID])[clientID] ?? TaxPreferencesRecord(clientID: clientID)
        }
    }

    /// What a preferences update may change; nil leaves a field as it is (`taxable` nil: by account type).
    public struct PreferencesInput: Sendable {
        public var taxable: Bool??
        public var shortTermRate: Decimal?
        public var longTermRate: Decimal?
        public var yearlyGainsBudget: Decimal??
        public var lotMethod: String?
        public var driftTaxTolerance: Double?
        public var harvest: Bool?
        public var harvestMinimumLoss: Decimal?
        public var harvestMinimumLossPercent: Double?

        public init(taxable: Bool?? = nil, shortTermRate: Decimal? = nil, longTermRate: Decimal? = nil, yearlyGainsBudget: Decimal?? = nil,
                    lotMethod: String? = nil, driftTaxTolerance: Double? = nil, harvest: Bool? = nil, harvestMinimumLoss: Decimal? = nil,
                    harvestMinimumLossPercent: Double? = nil) {
            self.taxable = taxable
            self.shortTermRate = shortTermRate
            self.longTermRate = longTermRate
            self.yearlyGainsBudget = yearlyGainsBudget
            self.lotMethod = lotMethod
            self.driftTaxTolerance = driftTaxTolerance
            self.harvest = harvest
            self.harvestMinimumLoss = harvestMinimumLoss
            self.harvestMinimumLossPercent = harvestMinimumLossPercent
        }
    }

    /// Changes a client's tax preferences (staff), each field checked and named when refused.
    public func updatePreferences(clientID: Int, with input: PreferencesInput, by principal: Principal) async throws -> TaxPreferencesRecord {
        try principal.ensureStaff()
        return try await context.database.write { session in
            guard try await session.clients.find(clientID) != nil else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
            try await session.taxPreferences.lock(clientID: clientID, in: session)
            var record = try await session.taxPreferences.find(clientIDs: [clientID])[clientID] ?? TaxPreferencesRecord(clientID: clientID)
            if let taxable = input.taxable { record.taxable = taxable }
            if let rate = input.shortTermRate { record.rates.shortTerm = try Self.rate(rate, field: "short_term_rate") }
            if let rate = input.longTermRate { record.rates.longTerm = try Self.rate(rate, field: "long_term_rate") }
            if let budget = input.yearlyGainsBudget {
                if let budget, budget < 0 || budget > 1_000_000_000 {
                    throw ServiceError.invalid("yearly_gains_budget", "yearly_gains_budget must be between 0 and 1000000000, or null for none")
                }
                record.yearlyGainsBudget = budget
            }
            if let name = input.lotMethod {
                guard let method = LotMethod.named(name) else { throw ServiceError.invalid("lot_method", "lot_method must be fifo, hifo or minimum_tax") }
                record.lotMethod = method
            }
            if let tolerance = input.driftTaxTolerance { record.driftTaxTolerance = try FieldValidation.range(tolerance, 0...1, field: "drift_tax_tolerance") }
            if let harvest = input.harvest { record.harvest = harvest }
            if let loss = input.harvestMinimumLoss {
                guard loss >= 0, loss <= 10_000_000 else { throw ServiceError.invalid("harvest_minimum_loss", "harvest_minimum_loss must be between 0 and 10000000") }
                record.harvestMinimumLoss = loss
            }
            if let percent = input.harvestMinimumLossPercent {
                record.harvestMinimumLossPercent = try FieldValidation.range(percent, 0...1, field: "harvest_minimum_loss_percent")
            }
            record.updatedBy = principal.userID
            record.updatedAt = context.clock.now()
            try await session.taxPreferences.save(record)
            try await session.operations.append([AuditEntry(at: record.updatedAt, actor: principal.userID, action: "tax.preferences", entityType: "client",
                                                            entityID: String(clientID), clientID: clientID,
                                                            details: try StoredJSON.encode(["lot_method": record.lotMethod.name, "harvest": String(record.harvest)]))])
            return record
        }
    }

    static func rate(_ value: Decimal, field: String) throws -> Decimal {
        guard value >= 0, value <= 1 else { throw ServiceError.invalid(field, "\(field) must be a fraction between 0 and 1 (0.37 for 37%)") }
        return value
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

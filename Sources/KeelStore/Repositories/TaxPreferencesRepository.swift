import FluentKit
import Foundation
import KeelCore
import SQLKit

/// A client's tax preferences (the defaults when none are stored).
public struct TaxPreferencesRecord: Sendable, Hashable {
    public var clientID: Int
    /// Nil: by account type (individual and joint taxable; IRA, Roth, 401(k) and other retirement accounts not).
    public var taxable: Bool?
    public var rates: TaxRates
    /// The most net realised gains a tax year may take from rebalancing (nil: no budget).
    public var yearlyGainsBudget: Decimal?
    public var lotMethod: LotMethod
    /// A sale that only corrects drift may cost at most this share of the drift it corrects in tax (0.10: $1,000 of
    /// tax to move $10,000).
    public var driftTaxTolerance: Double
    /// Tax-loss harvesting in the daily cycle.
    public var harvest: Bool
    /// A lot is harvested when its unrealised loss is at least this amount and this fraction of its basis.
    public var harvestMinimumLoss: Decimal
    public var harvestMinimumLossPercent: Double
    public var updatedBy: String
    public var updatedAt: Date

    public init(clientID: Int, taxable: Bool? = nil, rates: TaxRates = .standard, yearlyGainsBudget: Decimal? = nil, lotMethod: LotMethod = .fifo,
                driftTaxTolerance: Double = 0.10, harvest: Bool = false, harvestMinimumLoss: Decimal = 500, harvestMinimumLossPercent: Double = 0.05,
                updatedBy: String = "default", updatedAt: Date = Date(timeIntervalSince1970: 0)) {
        self.clientID = clientID
        self.taxable = taxable
        self.rates = rates
        self.yearlyGainsBudget = yearlyGainsBudget
        self.lotMethod = lotMethod
        self.driftTaxTolerance = driftTaxTolerance
        self.harvest = harvest
        self.harvestMinimumLoss = harvestMinimumLoss
        self.harvestMinimumLossPercent = harvestMinimumLossPercent
        self.updatedBy = updatedBy
        self.updatedAt = updatedAt
    }

    /// Retirement accounts defer tax: their sales are not taxed when they happen.
    public static let taxDeferredAccountTypes: Set<String> = ["ira", "roth_ira", "401k", "403b", "sep_ira", "simple_ira", "retirement"]

    public func isTaxable(accountType: String) -> Bool {
        taxable ?? !Self.taxDeferredAccountTypes.contains(accountType.lowercased())
    }
}

public struct TaxPreferencesRepository: Sendable {
    let database: any Database

    var sql: any SQLDatabase { database as! any SQLDatabase }

    static let columns = ["client_id", "taxable", "short_term_rate", "long_term_rate", "yearly_gains_budget", "lot_method", "drift_tax_tolerance",
                          "harvest", "harvest_minimum_loss", "harvest_minimum_loss_percent", "updated_by", "updated_at"]

    /// The clients' preferences; a client without a row gets the defaults.
    public func find(clientIDs: [Int]) async throws -> [Int: TaxPreferencesRecord] {
        guard !clientIDs.isEmpty else { return [:] }
        let rows = try await sql.select().columns(Self.columns.map { SQLIdentifier($0) }).from("tax_preferences").where("client_id", .in, clientIDs).all()
        var found: [Int: TaxPreferencesRecord] = [:]
        for row in rows {
            let record = TaxPreferencesRecord(
                clientID: try row.decode(column: "client_id", as: Int.self), taxable: try row.decode(column: "taxable", as: Bool?.self),
                rates: TaxRates(shortTerm: try row.decode(column: "short_term_rate", as: Decimal.self),
                                longTerm: try row.decode(column: "long_term_rate", as: Decimal.self)),
                yearlyGainsBudget: try row.decode(column: "yearly_gains_budget", as: Decimal?.self),
                lotMethod: LotMethod.named(try row.decode(column: "lot_method", as: String.self)) ?? .fifo,
                driftTaxTolerance: try row.decode(column: "drift_tax_tolerance", as: Double.self), harvest: try row.decode(column: "harvest", as: Bool.self),
                harvestMinimumLoss: try row.decode(column: "harvest_minimum_loss", as: Decimal.self),
                harvestMinimumLossPercent: try row.decode(column: "harvest_minimum_loss_percent", as: Double.self),
                updatedBy: try row.decode(column: "updated_by", as: String.self), updatedAt: try row.decode(column: "updated_at", as: Date.self))
            found[record.clientID] = record
        }
        for id in clientIDs where found[id] == nil { found[id] = TaxPreferencesRecord(clientID: id) }
        return found
    }

    /// Serialises a client's preference updates until the transaction ends (each reads, changes some fields and
    /// writes: two at once would otherwise lose one's fields). A PostgreSQL advisory lock; SQLite's single writer already does.
    public func lock(clientID: Int, in session: Session) async throws {
        if session.dialect == .postgres {
            _ = try await sql.raw("SELECT pg_advisory_xact_lock(hashtext(\(bind: "keel-tax-preferences:\(clientID)")))").all()
        }
    }

    public func save(_ record: TaxPreferencesRecord) async throws {
        try await sql.insertRows(into: "tax_preferences", columns: Self.columns, [record], upsertOn: ["client_id"],
                                 updating: Array(Self.columns.dropFirst())) { record in
            [SQLBind(record.clientID), SQLBind(record.taxable), SQLBind(record.rates.shortTerm), SQLBind(record.rates.longTerm),
             SQLBind(record.yearlyGainsBudget), SQLBind(record.lotMethod.name), SQLBind(record.driftTaxTolerance), SQLBind(record.harvest),
             SQLBind(record.harvestMinimumLoss), SQLBind(record.harvestMinimumLossPercent), SQLBind(record.updatedBy), SQLBind(record.updatedAt)]
        }
    }

    /// Net realised gain per client of a tax year (known bases only, wash-sale disallowances added back).
    public func realizedNet(clientIDs: [Int], year: Int) async throws -> [Int: Decimal] {
        guard !clientIDs.isEmpty else { return [:] }
        let rows = try await sql.select().column("client_id").column("proceeds").column("cost_basis").column("wash_disallowed").from("realized_lots")
            .where("client_id", .in, clientIDs).where("tax_year", .equal, year).where("basis_known", .equal, true).all()
        var net: [Int: Decimal] = [:]
        for row in rows {
            let gain = try row.decode(column: "proceeds", as: Decimal.self) - row.decode(column: "cost_basis", as: Decimal.self)
                + row.decode(column: "wash_disallowed", as: Decimal.self)
            net[try row.decode(column: "client_id", as: Int.self), default: 0] += gain
        }
        return net
    }
}

extension Session {
    public var taxPreferences: TaxPreferencesRepository { TaxPreferencesRepository(database: database) }
}

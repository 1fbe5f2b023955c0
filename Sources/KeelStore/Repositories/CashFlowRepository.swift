import FluentKit
import Foundation
import SQLKit

/// A deposit (positive) or withdrawal (negative) of an account, on the day it was booked.
public struct CashFlowRecord: Sendable, Hashable {
    public var flowID: String
    public var accountHash: String
    public var clientID: Int
    public var day: String
    public var amount: Decimal
    public var note: String?
    public var recordedBy: String
    public var createdAt: Date

    public init(flowID: String, accountHash: String, clientID: Int, day: String, amount: Decimal, note: String?, recordedBy: String, createdAt: Date) {
        self.flowID = flowID
        self.accountHash = accountHash
        self.clientID = clientID
        self.day = day
        self.amount = amount
        self.note = note
        self.recordedBy = recordedBy
        self.createdAt = createdAt
    }
}

/// `account_cash_flows`: what came into and left each account from outside, so performance is measured apart from it.
public struct CashFlowRepository: Sendable {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }
    static let columns = ["flow_id", "account_hash", "client_id", "day", "amount", "note", "recorded_by", "created_at"]

    public func insert(_ flow: CashFlowRecord) async throws {
        try await sql.insert(into: "account_cash_flows").columns(Self.columns)
            .values(SQLBind(flow.flowID), SQLBind(flow.accountHash), SQLBind(flow.clientID), SQLBind(flow.day), SQLBind(flow.amount),
                    SQLBind(flow.note), SQLBind(flow.recordedBy), SQLBind(flow.createdAt))
            .run()
    }

    /// The account's flows, newest first.
    public func list(accountHash: String, limit: Int) async throws -> [CashFlowRecord] {
        try await sql.select().columns(Self.columns.map { SQLIdentifier($0) }).from("account_cash_flows").where("account_hash", .equal, accountHash)
            .orderBy("day", .descending).orderBy("created_at", .descending).limit(limit).all().map(Self.record)
    }


    /// Each account's flows booked after its own `after` (all when absent) through `through`, summed, in one query.
    public func netFlows(after: [String: Date?], through: Date) async throws -> [String: Decimal] {
        guard !after.isEmpty else { return [:] }
        let earliest = after.values.contains { $0 == nil } ? nil : after.values.compactMap { $0 }.min()
        var query = sql.select().column("account_hash").column("amount").column("created_at").from("account_cash_flows")
            .where("account_hash", .in, Array(after.keys)).where("created_at", .lessThanOrEqual, through)
        if let earliest { query = query.where("created_at", .greaterThan, earliest) }
        var sums: [String: Decimal] = [:]
        for row in try await query.all() {
            let hash = try row.decode(column: "account_hash", as: String.self)
            if let since = after[hash] ?? nil, try row.decode(column: "created_at", as: Date.self) <= since { continue }
            sums[hash, default: 0] += try row.decode(column: "amount", as: Decimal.self)
        }
        return sums
    }

    static func record(_ row: any SQLRow) throws -> CashFlowRecord {
        CashFlowRecord(flowID: try row.decode(column: "flow_id", as: String.self), accountHash: try row.decode(column: "account_hash", as: String.self),
                       clientID: try row.decode(column: "client_id", as: Int.self), day: try row.decode(column: "day", as: String.self),
                       amount: try row.decode(column: "amount", as: Decimal.self), note: try row.decode(column: "note", as: String?.self),
                       recordedBy: try row.decode(column: "recorded_by", as: String.self), createdAt: try row.decode(column: "created_at", as: Date.self))
    }
}

extension Session {
    public var cashFlows: CashFlowRepository { CashFlowRepository(database: database) }
}

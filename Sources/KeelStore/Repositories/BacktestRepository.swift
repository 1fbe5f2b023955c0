import FluentKit
import Foundation
import SQLKit

public struct BacktestRecord: Sendable, Hashable {
    public var id: String
    public var status: String
    public var request: String
    public var result: String?
    public var report: String?
    public var error: String?
    public var createdBy: String
    public var createdAt: Date
    public var finishedAt: Date?
}

public struct BacktestRepository: Sendable {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    public func create(id: String, request: String, by actor: String, at now: Date) async throws {
        try await sql.insert(into: "backtests").columns("backtest_id", "status", "request", "created_by", "created_at")
            .values(SQLBind(id), SQLBind("running"), SQLBind(request), SQLBind(actor), SQLBind(now)).run()
    }

    public func finish(id: String, result: String?, report: String?, error: String?, at now: Date) async throws {
        try await sql.update("backtests").set("status", to: error == nil ? "succeeded" : "failed").set("result", to: result)
            .set("report", to: report).set("error", to: error).set("finished_at", to: now).where("backtest_id", .equal, id).run()
    }

    public func find(_ id: String) async throws -> BacktestRecord? {
        try await sql.select().column("*").from("backtests").where("backtest_id", .equal, id).first().map { try Self.record($0, withResult: true) }
    }

    /// The newest backtests without their (large) results: what a list shows.
    public func list(limit: Int) async throws -> [BacktestRecord] {
        try await sql.select().columns("backtest_id", "status", "request", "error", "created_by", "created_at", "finished_at").from("backtests")
            .orderBy("created_at", .descending).orderBy("backtest_id").limit(limit).all().map { try Self.record($0, withResult: false) }
    }

    static func record(_ row: any SQLRow, withResult: Bool) throws -> BacktestRecord {
        BacktestRecord(id: try row.decode(column: "backtest_id", as: String.self), status: try row.decode(column: "status", as: String.self),
                       request: try row.decode(column: "request", as: String.self),
                       result: withResult ? try row.decode(column: "result", as: String?.self) : nil,
                       report: withResult ? try row.decode(column: "report", as: String?.self) : nil,
                       error: try row.decode(column: "error", as: String?.self), createdBy: try row.decode(column: "created_by", as: String.self),
                       createdAt: try row.decode(column: "created_at", as: Date.self), finishedAt: try row.decode(column: "finished_at", as: Date?.self))
    }
}

extension Session {
    public var backtests: BacktestRepository { BacktestRepository(database: database) }
}

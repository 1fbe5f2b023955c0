import FluentKit
import Foundation
import SQLKit

/// The one handle services use for persistence: reads, and writes that always run in one transaction.
public struct KeelDatabase: Sendable {
    public enum Dialect: String, Sendable { case sqlite, postgres }

    public let database: any Database
    public let dialect: Dialect
    private let writeGate: WriteGate?

    public init(database: any Database) {
        self.database = database
        let name = (database as? any SQLDatabase)?.dialect.name ?? "sqlite"
        self.dialect = name == "postgresql" ? .postgres : .sqlite
        self.writeGate = dialect == .sqlite ? WriteGate() : nil
    }

    private init(database: any Database, dialect: Dialect, writeGate: WriteGate?) {
        self.database = database
        self.dialect = dialect
        self.writeGate = writeGate
    }

    /// The same store, bound to another connection (e.g. a request's database) but sharing the write gate.
    public func rebound(to database: any Database) -> KeelDatabase {
        KeelDatabase(database: database, dialect: dialect, writeGate: writeGate)
    }

    public var sql: any SQLDatabase { database as! any SQLDatabase }

    /// Runs `body` outside a transaction: for reads.
    public func read<T: Sendable>(_ body: @Sendable (Session) async throws -> T) async throws -> T {
        do {
            return try await body(Session(database: database, dialect: dialect))
        } catch {
            throw StoreError.translate(error)
        }
    }

    /// Runs `body` in one transaction: every row it writes commits together or not at all.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Session) async throws -> T) async throws -> T {
        if let gate = writeGate { await gate.acquire() }
        do {
            let dialect = self.dialect
            let result = try await database.transaction { transaction in
                try await body(Session(database: transaction, dialect: dialect))
            }
            if let gate = writeGate { await gate.release() }
            return result
        } catch {
            if let gate = writeGate { await gate.release() }
            throw StoreError.translate(error)
        }
    }

    /// Runs one self-contained write statement: on PostgreSQL without BEGIN/COMMIT around it (a single
    /// statement is atomic by itself, and the round trips matter on hot paths such as finishing a job); on
    /// SQLite through the write gate like every write.
    public func writeStatement<T: Sendable>(_ body: @escaping @Sendable (Session) async throws -> T) async throws -> T {
        guard dialect == .postgres else { return try await write(body) }
        do {
            return try await body(Session(database: database, dialect: dialect))
        } catch {
            throw StoreError.translate(error)
        }
    }

    /// Applies SQLite settings that live in the file (WAL lets readers proceed during a write).
    public func prepareConnection() async throws {
        guard dialect == .sqlite else { return }
        try await sql.raw("PRAGMA journal_mode=WAL").run()
    }
}

/// A database connection (inside or outside a transaction) and the repositories over it.
public struct Session: Sendable {
    public let database: any Database
    public let dialect: KeelDatabase.Dialect

    public var sql: any SQLDatabase { database as! any SQLDatabase }

    /// Locks the selected rows until the transaction ends, where the database has row locks.
    /// SQLite has none; there the write gate already makes each write transaction exclusive.
    var rowLockClause: String { dialect == .postgres ? " FOR UPDATE" : "" }
}

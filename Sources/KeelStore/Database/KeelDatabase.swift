import FluentKit
import Foundation
import SQLKit

/// The one handle services use for persistence: reads, and writes that always run in one transaction.
public struct KeelDatabase: Sendable {
    public enum Dialect: String, Sendable { case sqlite, postgres }

    /// The raw connection and SQL: repositories only. Outside KeelStore only tests and benchmarks reach them,
    /// through `@_spi(RawSQL) import KeelStore`, so a service cannot bypass the repositories by accident.
    @_spi(RawSQL) public let database: any Database
    public let dialect: Dialect
    private let writeGate: WriteGate?
    /// Bumped by every committed write: what cached reads are checked against.
    public let generation: WriteGeneration

    public init(database: any Database) {
        self.database = database
        let name = (database as? any SQLDatabase)?.dialect.name ?? "sqlite"
        self.dialect = name == "postgresql" ? .postgres : .sqlite
        self.writeGate = dialect == .sqlite ? WriteGate() : nil
        self.generation = WriteGeneration(shared: dialect == .postgres)
    }

    private init(database: any Database, dialect: Dialect, writeGate: WriteGate?, generation: WriteGeneration) {
        self.database = database
        self.dialect = dialect
        self.writeGate = writeGate
        self.generation = generation
    }

    /// The same store, bound to another connection (e.g. a request's database) but sharing the write gate.
    public func rebound(to database: any Database) -> KeelDatabase {
        KeelDatabase(database: database, dialect: dialect, writeGate: writeGate, generation: generation)
    }

    /// The write stamp a cached read is tagged with (see `WriteGeneration`).
    public func writeStamp() async -> WriteGeneration.Stamp {
        await generation.stamp(on: database)
    }

    @_spi(RawSQL) public var sql: any SQLDatabase { database as! any SQLDatabase }

    /// Runs `body` outside a transaction: for reads.
    public func read<T: Sendable>(_ body: @Sendable (Session) async throws -> T) async throws -> T {
        do {
            return try await body(Session(database: database, dialect: dialect))
        } catch {
            throw StoreError.translate(error)
        }
    }

    /// Runs `body` in one transaction: every row it writes commits together or not at all.
    /// `.jobQueue` writes touch only the job queue's bookkeeping (claims, leases, progress), which no cached
    /// read depends on, so they leave cached reads valid.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Session) async throws -> T) async throws -> T {
        try await write(.anything, body)
    }

    public func write<T: Sendable>(_ scope: WriteScope, _ body: @escaping @Sendable (Session) async throws -> T) async throws -> T {
        if let gate = writeGate { await gate.acquire() }
        do {
            let dialect = self.dialect
            let result = try await database.transaction { transaction in
                try await body(Session(database: transaction, dialect: dialect))
            }
            if let gate = writeGate { await gate.release() }
            if scope == .anything { await generation.committed(on: database) }
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
        try await writeStatement(.anything, body)
    }

    public func writeStatement<T: Sendable>(_ scope: WriteScope, _ body: @escaping @Sendable (Session) async throws -> T) async throws -> T {
        guard dialect == .postgres else { return try await write(scope, body) }
        do {
            let result = try await body(Session(database: database, dialect: dialect))
            if scope == .anything { await generation.committed(on: database) }
            return result
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

/// What a write may change, as far as cached reads care.
public enum WriteScope: Sendable {
    case anything
    /// Only the `jobs` table's claim, lease, heartbeat, progress and outcome columns.
    case jobQueue
    /// Only tables no cached read depends on (the read cache holds clients, API tokens and portfolio health, which
    /// reads accounts, batches, clients, positions, market bars and preferences): cycle records, performance rows,
    /// autonomy state, audit and alerts. Other processes' caches need no invalidation for these.
    case outsideCachedReads
}

/// A database connection (inside or outside a transaction) and the repositories over it.
public struct Session: Sendable {
    @_spi(RawSQL) public let database: any Database
    public let dialect: KeelDatabase.Dialect

    @_spi(RawSQL) public var sql: any SQLDatabase { database as! any SQLDatabase }

    /// Locks the selected rows until the transaction ends, where the database has row locks.
    /// SQLite has none; there the write gate already makes each write transaction exclusive.
    var rowLockClause: String { dialect == .postgres ? " FOR UPDATE" : "" }

    /// This transaction's commit returns before its WAL is flushed (PostgreSQL's `synchronous_commit = off`, for this
    /// transaction only; SQLite is unchanged). Only for writes whose loss in a crash is harmless: the work that
    /// committed them can redo them (a pipeline item with its cursor). Consistency is unaffected; durability of the
    /// last few commits is.
    public func relaxCommitDurability() async throws {
        guard dialect == .postgres else { return }
        try await sql.raw("SET LOCAL synchronous_commit TO OFF").run()
    }
}

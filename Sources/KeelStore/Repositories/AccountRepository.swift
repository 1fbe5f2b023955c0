import FluentKit
import SQLKit
import Foundation

public struct BrokerageRecord: Sendable, Hashable {
    public var brokerageID: Int
    public var code: String
    public var name: String
    public var supportsLive: Bool
}

public enum AccountStatus: String, Sendable, Codable {
    case active
    /// The broker link is broken (e.g. expired OAuth); no new orders until it is restored.
    case disconnected
    case closed
}

public struct AccountRecord: Sendable, Hashable {
    public var accountID: Int
    public var accountHash: String
    public var clientID: Int
    public var brokerage: BrokerageRecord
    public var accountNumber: String
    public var accountType: String
    public var nickname: String?
    public var status: AccountStatus
    /// Keel's ledger cash for the account.
    public var cash: Decimal
    public var currency: String
    public var createdAt: Date
    /// Set when reconciliation found Keel's books differ from the broker's: no new orders until resolved.
    public var haltedReason: String?
    public var haltedAt: Date?

    public var isHalted: Bool { haltedReason != nil }
}

public struct NewAccount: Sendable {
    public var accountHash: String
    public var clientID: Int
    public var brokerageID: Int
    public var accountNumber: String
    public var accountType: String
    public var nickname: String?
    public var cash: Decimal
    public var createdAt: Date

    public init(accountHash: String, clientID: Int, brokerageID: Int, accountNumber: String, accountType: String, nickname: String?, cash: Decimal, createdAt: Date) {
        self.accountHash = accountHash
        self.clientID = clientID
        self.brokerageID = brokerageID
        self.accountNumber = accountNumber
        self.accountType = accountType
        self.nickname = nickname
        self.cash = cash
        self.createdAt = createdAt
    }
}

public struct AccountRepository: Sendable {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    public func brokerage(_ id: Int) async throws -> BrokerageRecord? {
        try await BrokerageModel.find(id, on: database).map(Self.record)
    }

    public func brokerages() async throws -> [BrokerageRecord] {
        try await BrokerageModel.query(on: database).sort(\.$id).all().map(Self.record)
    }

    public func create(_ account: NewAccount) async throws -> AccountRecord {
        let model = BrokerageAccountModel()
        model.accountHash = account.accountHash
        model.$client.id = account.clientID
        model.$brokerage.id = account.brokerageID
        model.accountNumber = account.accountNumber
        model.accountType = account.accountType
        model.nickname = account.nickname
        model.status = AccountStatus.active.rawValue
        model.cash = account.cash
        model.currency = "USD"
        model.createdAt = account.createdAt
        model.updatedAt = account.createdAt
        try await model.create(on: database)
        guard let created = try await find(hash: account.accountHash) else { throw StoreError.notFound("account \(account.accountHash)") }
        return created
    }

    /// One query joined with its brokerage, decoded straight into the record: the account is read several times
    /// per order and per cycle step, and a Fluent model with an eager-loaded parent cost two queries and reflection.
    public func find(hash: String) async throws -> AccountRecord? {
        try await sql.raw("\(unsafeRaw: Self.joinedSelect) WHERE a.account_hash = \(bind: hash)").first().map(Self.record)
    }

    /// Several accounts in one query, by hash.
    public func find(hashes: [String]) async throws -> [String: AccountRecord] {
        guard !hashes.isEmpty else { return [:] }
        let records = try await sql.raw("\(unsafeRaw: Self.joinedSelect) WHERE a.account_hash IN (\(binds: hashes))").all().map(Self.record)
        return Dictionary(records.map { ($0.accountHash, $0) }, uniquingKeysWith: { first, _ in first })
    }

    static let joinedSelect = """
        SELECT a.account_id, a.account_hash, a.client_id, a.account_number, a.account_type, a.nickname, a.status, a.cash, a.currency, \
        a.created_at, a.halted_reason, a.halted_at, b.brokerage_id, b.code, b.name, b.supports_live \
        FROM brokerage_accounts a JOIN brokerages b ON b.brokerage_id = a.brokerage_id
        """

    static func record(_ row: any SQLRow) throws -> AccountRecord {
        let status = try row.decode(column: "status", as: String.self)
        guard let accountStatus = AccountStatus(rawValue: status) else { throw StoreError.corrupt("account status '\(status)'") }
        return AccountRecord(accountID: try row.decode(column: "account_id", as: Int.self), accountHash: try row.decode(column: "account_hash", as: String.self),
                             clientID: try row.decode(column: "client_id", as: Int.self),
                             brokerage: BrokerageRecord(brokerageID: try row.decode(column: "brokerage_id", as: Int.self),
                                                        code: try row.decode(column: "code", as: String.self), name: try row.decode(column: "name", as: String.self),
                                                        supportsLive: try row.decode(column: "supports_live", as: Bool.self)),
                             accountNumber: try row.decode(column: "account_number", as: String.self),
                             accountType: try row.decode(column: "account_type", as: String.self), nickname: try row.decode(column: "nickname", as: String?.self),
                             status: accountStatus, cash: try row.decode(column: "cash", as: Decimal.self), currency: try row.decode(column: "currency", as: String.self),
                             createdAt: try row.decode(column: "created_at", as: Date.self), haltedReason: try row.decode(column: "halted_reason", as: String?.self),
                             haltedAt: try row.decode(column: "halted_at", as: Date?.self))
    }

    /// Reads the account and locks its row until the transaction ends (PostgreSQL). Every change of an
    /// account's cash, positions, open batch or execution starts here, so they apply one after another.
    /// On SQLite the write gate already makes each write transaction exclusive.
    /// Locks many accounts' rows (PostgreSQL; in hash order, so two chunks never deadlock) and reads them, in two queries.
    public func lock(hashes: [String], in session: Session) async throws -> [String: AccountRecord] {
        guard !hashes.isEmpty else { return [:] }
        if session.dialect == .postgres {
            _ = try await session.sql.raw("""
                SELECT account_id FROM brokerage_accounts WHERE account_hash IN (\(binds: hashes)) ORDER BY account_hash FOR UPDATE
                """).all()
        }
        return try await find(hashes: hashes)
    }

    public func lock(hash: String, in session: Session) async throws -> AccountRecord? {
        if session.dialect == .postgres {
            guard try await session.sql.raw("SELECT account_id FROM brokerage_accounts WHERE account_hash = \(bind: hash) FOR UPDATE").first() != nil
            else { return nil }
        }
        return try await find(hash: hash)
    }

    public func find(brokerageID: Int, accountNumber: String) async throws -> AccountRecord? {
        guard let model = try await BrokerageAccountModel.query(on: database)
            .filter(\.$brokerage.$id == brokerageID).filter(\.$accountNumber == accountNumber).with(\.$brokerage).first() else { return nil }
        return try Self.record(model)
    }

    public func list(clientID: Int) async throws -> [AccountRecord] {
        try await BrokerageAccountModel.query(on: database).filter(\.$client.$id == clientID).with(\.$brokerage)
            .sort(\.$id).all().map(Self.record)
    }

    public func setCash(hash: String, cash: Decimal, at now: Date) async throws {
        try await setCash([hash: cash], at: now)
    }

    /// Sets the cash of many accounts in one UPDATE (a CASE over the account hash).
    public func setCash(_ cash: [String: Decimal], at now: Date) async throws {
        guard !cash.isEmpty else { return }
        let ordered = cash.sorted { $0.key < $1.key }
        let cases = SQLList(ordered.map { "WHEN \(bind: $0.key) THEN \(bind: $0.value)" as SQLQueryString }, separator: SQLRaw(" "))
        try await sql.raw("""
            UPDATE brokerage_accounts SET cash = CASE account_hash \(cases) END, updated_at = \(bind: now)
            WHERE account_hash IN (\(binds: ordered.map(\.key)))
            """).run()
    }

    /// Moves the day an account was opened back: a replayed history (the demo book) starts before it.
    public func setOpened(hash: String, at date: Date) async throws {
        try await BrokerageAccountModel.query(on: database).filter(\.$accountHash == hash).set(\.$createdAt, to: date).update()
    }

    public func setStatus(hash: String, status: AccountStatus, at now: Date) async throws {
        try await BrokerageAccountModel.query(on: database).filter(\.$accountHash == hash)
            .set(\.$status, to: status.rawValue).set(\.$updatedAt, to: now).update()
    }

    /// Halts (reason) or releases (nil) new orders for the account.
    public func setHalt(hash: String, reason: String?, at now: Date) async throws {
        try await BrokerageAccountModel.query(on: database).filter(\.$accountHash == hash)
            .set(\.$haltedReason, to: reason).set(\.$haltedAt, to: reason == nil ? nil : now).set(\.$updatedAt, to: now).update()
    }

    /// Accounts of the paper brokerage with nothing in flight (no batch executing or awaiting reconciliation):
    /// the ones whose books can be compared with the broker's now.
    public func paperAccountsAtRest() async throws -> [String] {
        let sql = database as! any SQLDatabase
        return try await sql.raw("""
            SELECT a.account_hash FROM brokerage_accounts a JOIN brokerages k ON k.brokerage_id = a.brokerage_id
            WHERE k.code = 'paper' AND NOT EXISTS (
              SELECT 1 FROM trade_batches b WHERE b.account_hash = a.account_hash AND b.status IN ('executing', 'working', 'needs_reconciliation'))
            ORDER BY a.account_hash
            """).all().map { try $0.decode(column: "account_hash", as: String.self) }
    }

    /// Active accounts of active clients (all of them, or of `clientIDs`), with their client: what a cycle covers.
    public func cycleAccounts(clientIDs: [Int]?) async throws -> [(accountHash: String, clientID: Int, brokerageCode: String)] {
        let sql = database as! any SQLDatabase
        var query = sql.select().column(SQLColumn("account_hash", table: "a")).column(SQLColumn("client_id", table: "a"))
            .column(SQLColumn("code", table: "k"))
            .from(SQLAlias(SQLIdentifier("brokerage_accounts"), as: SQLIdentifier("a")))
            .join(SQLAlias(SQLIdentifier("clients"), as: SQLIdentifier("c")), method: SQLJoinMethod.inner,
                  on: SQLColumn("client_id", table: "c"), .equal, SQLColumn("client_id", table: "a"))
            .join(SQLAlias(SQLIdentifier("brokerages"), as: SQLIdentifier("k")), method: SQLJoinMethod.inner,
                  on: SQLColumn("brokerage_id", table: "k"), .equal, SQLColumn("brokerage_id", table: "a"))
            .where(SQLColumn("status", table: "a"), .equal, SQLBind(AccountStatus.active.rawValue))
            .where(SQLColumn("status", table: "c"), .equal, SQLBind("active"))
        if let clientIDs { query = query.where(SQLColumn("client_id", table: "a"), .in, SQLBind.group(clientIDs)) }
        return try await query.orderBy(SQLColumn("account_id", table: "a")).all().map { row in
            (try row.decode(column: "account_hash", as: String.self), try row.decode(column: "client_id", as: Int.self),
             try row.decode(column: "code", as: String.self))
        }
    }

    /// Accounts per brokerage code and status ("halted" counted apart): the broker-connectivity summary.
    public func connectivityCounts() async throws -> [String: [String: Int]] {
        let sql = database as! any SQLDatabase
        var counts: [String: [String: Int]] = [:]
        for row in try await sql.raw("""
            SELECT k.code AS code, CASE WHEN a.halted_reason IS NOT NULL THEN 'halted' ELSE a.status END AS state, COUNT(*) AS n
            FROM brokerage_accounts a JOIN brokerages k ON k.brokerage_id = a.brokerage_id GROUP BY k.code, state
            """).all() {
            counts[try row.decode(column: "code", as: String.self), default: [:]][try row.decode(column: "state", as: String.self)] = try row.decode(column: "n", as: Int.self)
        }
        return counts
    }

    /// Active accounts of active clients with their brokerage, oldest first, at most `limit` (the status view).
    public func activeAccounts(limit: Int) async throws -> [AccountRecord] {
        try await BrokerageAccountModel.query(on: database).filter(\.$status == AccountStatus.active.rawValue)
            .join(ClientModel.self, on: \BrokerageAccountModel.$client.$id == \ClientModel.$id).filter(ClientModel.self, \.$status == "active")
            .with(\.$brokerage).sort(\.$id).limit(limit).all().map(Self.record)
    }

    public func halted() async throws -> [AccountRecord] {
        try await BrokerageAccountModel.query(on: database).filter(\.$haltedReason != nil).with(\.$brokerage).sort(\.$id).all().map(Self.record)
    }

    static func record(_ model: BrokerageModel) -> BrokerageRecord {
        BrokerageRecord(brokerageID: model.id ?? 0, code: model.code, name: model.name, supportsLive: model.supportsLive)
    }

    static func record(_ model: BrokerageAccountModel) throws -> AccountRecord {
        guard let status = AccountStatus(rawValue: model.status) else { throw StoreError.corrupt("account status '\(model.status)'") }
        return AccountRecord(accountID: model.id ?? 0, accountHash: model.accountHash, clientID: model.$client.id,
                             brokerage: record(model.brokerage), accountNumber: model.accountNumber, accountType: model.accountType,
                             nickname: model.nickname, status: status, cash: model.cash, currency: model.currency, createdAt: model.createdAt,
                             haltedReason: model.haltedReason, haltedAt: model.haltedAt)
    }
}

extension Session {
    public var accounts: AccountRepository { AccountRepository(database: database) }
}

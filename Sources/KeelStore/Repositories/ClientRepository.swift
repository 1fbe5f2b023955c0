import FluentKit
import SQLKit
import Foundation

public enum ClientStatus: String, Sendable, Codable, CaseIterable {
    case active, inactive
}

public struct ClientRecord: Sendable, Hashable {
    public var clientID: Int
    public var firstName: String
    public var lastName: String
    public var email: String
    public var phone: String?
    public var dateOfBirth: String?
    public var riskTolerance: String
    public var investmentHorizonYears: Int?
    public var status: ClientStatus
    public var userID: String?
    public var createdBy: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(clientID: Int = 0, firstName: String, lastName: String, email: String, phone: String?, dateOfBirth: String?,
                riskTolerance: String, investmentHorizonYears: Int?, status: ClientStatus, userID: String?, createdBy: String,
                createdAt: Date, updatedAt: Date) {
        self.clientID = clientID
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
        self.phone = phone
        self.dateOfBirth = dateOfBirth
        self.riskTolerance = riskTolerance
        self.investmentHorizonYears = investmentHorizonYears
        self.status = status
        self.userID = userID
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

public struct ClientRepository: Sendable {
    let database: any Database

    public func create(_ record: ClientRecord) async throws -> ClientRecord {
        let model = ClientModel()
        Self.apply(record, to: model)
        try await model.create(on: database)
        return try Self.record(model)
    }

    public func update(_ record: ClientRecord) async throws -> ClientRecord {
        guard let model = try await ClientModel.find(record.clientID, on: database) else { throw StoreError.notFound("client \(record.clientID)") }
        Self.apply(record, to: model)
        try await model.update(on: database)
        return try Self.record(model)
    }

    /// Read on every plan and cycle step: decoded from the row, without the model's reflection.
    public func find(_ clientID: Int) async throws -> ClientRecord? {
        try await find(ids: [clientID])[clientID]
    }

    /// Several clients in one query, by id.
    public func find(ids: [Int]) async throws -> [Int: ClientRecord] {
        guard !ids.isEmpty else { return [:] }
        let records = try await (database as! any SQLDatabase).select().columns(Self.columns.map { SQLIdentifier($0) }).from("clients")
            .where("client_id", .in, Array(Set(ids))).all().map(Self.record)
        return Dictionary(records.map { ($0.clientID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    static let columns = ["client_id", "first_name", "last_name", "email", "phone", "date_of_birth", "risk_tolerance", "investment_horizon_years",
                          "status", "user_id", "created_by", "created_at", "updated_at"]

    static func record(_ row: any SQLRow) throws -> ClientRecord {
        let status = try row.decode(column: "status", as: String.self)
        guard let clientStatus = ClientStatus(rawValue: status) else { throw StoreError.corrupt("client status '\(status)'") }
        return ClientRecord(clientID: try row.decode(column: "client_id", as: Int.self), firstName: try row.decode(column: "first_name", as: String.self),
                            lastName: try row.decode(column: "last_name", as: String.self), email: try row.decode(column: "email", as: String.self),
                            phone: try row.decode(column: "phone", as: String?.self), dateOfBirth: try row.decode(column: "date_of_birth", as: String?.self),
                            riskTolerance: try row.decode(column: "risk_tolerance", as: String.self),
                            investmentHorizonYears: try row.decode(column: "investment_horizon_years", as: Int?.self), status: clientStatus,
                            userID: try row.decode(column: "user_id", as: String?.self), createdBy: try row.decode(column: "created_by", as: String.self),
                            createdAt: try row.decode(column: "created_at", as: Date.self), updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }

    public func find(email: String) async throws -> ClientRecord? {
        try await ClientModel.query(on: database).filter(\.$email == email).first().map(Self.record)
    }

    public func find(userID: String) async throws -> ClientRecord? {
        try await ClientModel.query(on: database).filter(\.$user.$id == userID).first().map(Self.record)
    }

    public func list(status: ClientStatus?, limit: Int, offset: Int) async throws -> [ClientRecord] {
        var query = ClientModel.query(on: database)
        if let status { query = query.filter(\.$status == status.rawValue) }
        return try await query.sort(\.$id).range(offset..<(offset + limit)).all().map(Self.record)
    }

    /// Clients whose first name, last name or email contains `text` (ignoring case), by id; all when `text` is empty.
    public func search(matching text: String, limit: Int, offset: Int) async throws -> [ClientRecord] {
        let rows = try await Self.matching(sql.select().column("client_id").from("clients"), text)
            .orderBy("client_id").limit(limit).offset(offset).all()
        let ids = try rows.map { try $0.decode(column: "client_id", as: Int.self) }
        guard !ids.isEmpty else { return [] }
        return try await ClientModel.query(on: database).filter(\.$id ~~ ids).sort(\.$id).all().map(Self.record)
    }

    public func count(matching text: String) async throws -> Int {
        try await Self.matching(sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("clients"), text)
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }

    var sql: any SQLDatabase { database as! any SQLDatabase }

    /// The text is bound, never spliced; lower() on both sides behaves alike on SQLite and PostgreSQL.
    static func matching(_ query: SQLSelectBuilder, _ text: String) -> SQLSelectBuilder {
        guard !text.isEmpty else { return query }
        let pattern = "%" + text.lowercased() + "%"
        return query.where { group in
            group.where(SQLFunction("lower", args: SQLColumn("first_name")), .like, SQLBind(pattern))
                .orWhere(SQLFunction("lower", args: SQLColumn("last_name")), .like, SQLBind(pattern))
                .orWhere(SQLFunction("lower", args: SQLColumn("email")), .like, SQLBind(pattern))
        }
    }

    public func delete(_ clientID: Int) async throws {
        try await ClientModel.query(on: database).filter(\.$id == clientID).delete()
    }

    static func apply(_ record: ClientRecord, to model: ClientModel) {
        model.firstName = record.firstName
        model.lastName = record.lastName
        model.email = record.email
        model.phone = record.phone
        model.dateOfBirth = record.dateOfBirth
        model.riskTolerance = record.riskTolerance
        model.investmentHorizonYears = record.investmentHorizonYears
        model.status = record.status.rawValue
        model.$user.id = record.userID
        model.createdBy = record.createdBy
        model.createdAt = record.createdAt
        model.updatedAt = record.updatedAt
    }

    /// Id, name and linked login of up to `limit` clients in `status`, by id: what a pick list shows, read as
    /// plain rows (a thousand Fluent models cost more than the query).
    public func names(status: ClientStatus, limit: Int) async throws -> [(clientID: Int, firstName: String, lastName: String, userID: String?)] {
        try await sql.select().columns("client_id", "first_name", "last_name", "user_id").from("clients").where("status", .equal, status.rawValue)
            .orderBy("client_id").limit(limit).all().map { row in
                (try row.decode(column: "client_id", as: Int.self), try row.decode(column: "first_name", as: String.self),
                 try row.decode(column: "last_name", as: String.self), try row.decode(column: "user_id", as: String?.self))
            }
    }

    static func record(_ model: ClientModel) throws -> ClientRecord {
        guard let status = ClientStatus(rawValue: model.status) else { throw StoreError.corrupt("client status '\(model.status)'") }
        return ClientRecord(clientID: model.id ?? 0, firstName: model.firstName, lastName: model.lastName, email: model.email,
                            phone: model.phone, dateOfBirth: model.dateOfBirth, riskTolerance: model.riskTolerance,
                            investmentHorizonYears: model.investmentHorizonYears, status: status, userID: model.$user.id,
                            createdBy: model.createdBy, createdAt: model.createdAt, updatedAt: model.updatedAt)
    }
}

extension Session {
    public var clients: ClientRepository { ClientRepository(database: database) }
}

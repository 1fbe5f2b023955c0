import FluentKit
import Foundation
import KeelAPI
import KeelCore
import KeelServices
import KeelStore
import SQLKit
import Vapor

/// Builds, once per test process and database kind, a template database that is migrated and holds the
/// simulated market, the admin and an advisor; every test then gets a cheap private copy of it
/// (a file copy on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL).
public actor TemplateDatabases {
    public static let shared = TemplateDatabases()

    // Tasks, not values: concurrent first callers share one build instead of racing to make two.
    private var sqliteTemplate: Task<String, any Error>?
    private var postgresTemplate: Task<String, any Error>?
    private let runDirectory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("keel-tests-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// A fresh database for one test, and how to remove it afterwards.
    public func makeDatabase(_ kind: TestDatabase) async throws -> (DatabaseLocation, @Sendable () async -> Void) {
        switch kind {
        case .sqlite:
            if sqliteTemplate == nil { sqliteTemplate = Task { try await Self.buildSQLiteTemplate(in: runDirectory) } }
            let template = try await sqliteTemplate!.value
            let path = runDirectory.appendingPathComponent("t-\(UUID().uuidString).sqlite").path
            try FileManager.default.copyItem(atPath: template, toPath: path)
            return (.sqlite(path: path), {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            })
        case .postgres:
            guard let serverURL = TestDatabase.postgresURL else { throw TestSetupError("KEEL_TEST_POSTGRES_URL is not set") }
            if postgresTemplate == nil { postgresTemplate = Task { try await Self.buildPostgresTemplate(serverURL: serverURL) } }
            let template = try await postgresTemplate!.value
            let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
            try await Self.onServer(serverURL) { sql in
                try await sql.raw("CREATE DATABASE \(unsafeRaw: name) TEMPLATE \(unsafeRaw: template)").run()
            }
            return (.postgres(url: Self.url(serverURL, database: String(name))), {
                try? await Self.onServer(serverURL) { sql in
                    try await sql.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run()
                }
            })
        }
    }

    private static func buildSQLiteTemplate(in runDirectory: URL) async throws -> String {
        let path = runDirectory.appendingPathComponent("template.sqlite").path
        try? FileManager.default.removeItem(atPath: path)
        try await populate(.sqlite(path: path))
        // Fold the write-ahead log into the file so a plain copy carries everything.
        let app = try await Application.make(.testing)
        do {
            try DatabaseLocation.sqlite(path: path).register(on: app.databases)
            let sql = app.db as! any SQLDatabase
            _ = try await sql.raw("PRAGMA wal_checkpoint(TRUNCATE)").all()
            _ = try await sql.raw("PRAGMA journal_mode=DELETE").all()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
        return path
    }

    private static func buildPostgresTemplate(serverURL: String) async throws -> String {
        let name = "keel_template_\(ProcessInfo.processInfo.processIdentifier)"
        try await onServer(serverURL) { sql in
            try await sql.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run()
            try await sql.raw("CREATE DATABASE \(unsafeRaw: name)").run()
        }
        try await populate(.postgres(url: url(serverURL, database: name)))
        return name
    }

    /// Migrates and seeds through the real composition root, then shuts down so no connection stays open.
    private static func populate(_ location: DatabaseLocation) async throws {
        let app = try await Application.make(.testing)
        do {
            let configuration = KeelConfiguration(database: location, seedDemo: false, adminPassword: TestFixtures.adminPassword,
                                                  clock: AdjustableClock(TestFixtures.now), bcryptCost: TestFixtures.bcryptCost,
                                                  reconcileOnStart: false, databasePoolSize: 2, logLevel: .warning)
            try await configureKeel(app, configuration)
            _ = try await app.keel.demoMarket.seed(seed: TestFixtures.marketSeed, historyDays: 500)
            let admin = Principal(userID: "admin", role: .admin, clientID: nil)
            _ = try await app.keel.auth.createUser(by: admin, userID: TestFixtures.advisorUserID, password: TestFixtures.advisorPassword,
                                                   role: .advisor, displayName: "Test Advisor")
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    static func onServer(_ serverURL: String, _ body: @Sendable (any SQLDatabase) async throws -> Void) async throws {
        let app = try await Application.make(.testing)
        do {
            try DatabaseLocation.postgres(url: serverURL).register(on: app.databases, poolSize: 1)
            try await body(app.db as! any SQLDatabase)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    static func url(_ serverURL: String, database: String) -> String {
        guard var components = URLComponents(string: serverURL) else { return serverURL }
        components.path = "/" + database
        return components.string ?? serverURL
    }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

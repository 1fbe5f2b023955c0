import FluentKit
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import NIOCore

extension DatabaseLocation {
    /// Registers this location as the default database. `poolSize` is connections per event loop on
    /// PostgreSQL (SQLite always uses one, the driver's rule).
    public func register(on databases: Databases, poolSize: Int = 4) throws {
        switch self {
        case .sqlite(let path):
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            let files = FileManager.default
            if !files.fileExists(atPath: directory) {
                // Only the owner may enter the data folder (database, secret key).
                try files.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            if !files.fileExists(atPath: path) {
                // SQLite gives its -wal and -shm files the database file's mode, so all three stay owner-only.
                guard files.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                    throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
                }
            }
            databases.use(.sqlite(.file(path), connectionPoolTimeout: .seconds(30), sqlLogLevel: .trace), as: .sqlite, isDefault: true)
        case .postgres(let url):
            databases.use(try .postgres(url: url, maxConnectionsPerEventLoop: poolSize, connectionPoolTimeout: .seconds(30),
                                        sqlLogLevel: .trace), as: .psql, isDefault: true)
        }
    }
}

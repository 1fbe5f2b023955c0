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
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            databases.use(.sqlite(.file(path), connectionPoolTimeout: .seconds(30), sqlLogLevel: .trace), as: .sqlite, isDefault: true)
        case .postgres(let url):
            databases.use(try .postgres(url: url, maxConnectionsPerEventLoop: poolSize, connectionPoolTimeout: .seconds(30),
                                        sqlLogLevel: .trace), as: .psql, isDefault: true)
        }
    }
}

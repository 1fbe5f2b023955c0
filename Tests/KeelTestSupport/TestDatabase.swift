import Foundation

/// The databases the integration suite runs on: SQLite always, PostgreSQL when KEEL_TEST_POSTGRES_URL is set.
public enum TestDatabase: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite
    case postgres

    public static var postgresURL: String? {
        let url = ProcessInfo.processInfo.environment["KEEL_TEST_POSTGRES_URL"]
        return url?.isEmpty == false ? url : nil
    }

    /// What the current environment can run; use as a test's `arguments:`.
    public static var available: [TestDatabase] {
        postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    public var description: String { rawValue }
}

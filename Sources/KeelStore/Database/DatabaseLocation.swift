import Foundation

/// Where Keel's data lives: an embedded SQLite file or a PostgreSQL server.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    public enum ParseError: Error, CustomStringConvertible {
        case unsupportedScheme(String)
        public var description: String {
            switch self {
            case .unsupportedScheme(let text):
                "unsupported database URL '\(text)': use postgres://user:pass@host:5432/db, sqlite:///absolute/path.sqlite or a file path ending in .sqlite"
            }
        }
    }

    /// Accepts `postgres://…`, `postgresql://…`, `sqlite:///abs/path`, `sqlite://relative/path` or a bare file path.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") {
            self = .postgres(url: trimmed)
        } else if trimmed.hasPrefix("sqlite://") {
            self = .sqlite(path: String(trimmed.dropFirst("sqlite://".count)))
        } else if !trimmed.contains("://"), !trimmed.isEmpty {
            self = .sqlite(path: trimmed)
        } else {
            throw ParseError.unsupportedScheme(text)
        }
    }

    public var isEmbedded: Bool {
        if case .sqlite = self { return true }
        return false
    }

    /// Safe to log: the password of a PostgreSQL URL is masked.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let url):
            guard var components = URLComponents(string: url) else { return "postgres:(unparseable url)" }
            if components.password != nil { components.password = "***" }
            return components.string ?? "postgres"
        }
    }
}

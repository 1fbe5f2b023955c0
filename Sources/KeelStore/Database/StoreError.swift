import FluentKit

/// Database failures translated into what a caller can act on.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A unique constraint refused the write; `detail` carries the database's words.
    case duplicate(String)
    /// A foreign key refused the write (missing parent, or a child still referencing the row).
    case foreignKey(String)
    case notFound(String)
    case corrupt(String)

    public var description: String {
        switch self {
        case .duplicate(let d): "duplicate: \(d)"
        case .foreignKey(let d): "foreign key violation: \(d)"
        case .notFound(let d): "not found: \(d)"
        case .corrupt(let d): "corrupt data: \(d)"
        }
    }

    /// Maps constraint failures of either driver; anything else is returned unchanged.
    public static func translate(_ error: any Error) -> any Error {
        guard let databaseError = error as? any DatabaseError, databaseError.isConstraintFailure else { return error }
        // PostgreSQL's error hides its details from `description`; `reflecting` carries the SQLSTATE.
        let text = String(reflecting: error)
        let lower = text.lowercased()
        if lower.contains("foreign key") || lower.contains("foreign_key") || lower.contains("23503") {
            return StoreError.foreignKey(text)
        }
        if lower.contains("unique") || lower.contains("duplicate") || lower.contains("23505") {
            return StoreError.duplicate(text)
        }
        return error
    }
}

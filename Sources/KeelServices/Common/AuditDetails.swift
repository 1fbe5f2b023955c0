import Foundation
import KeelStore

extension Session {
    /// Appends an audit entry whose details are the given key/values as JSON.
    func audit(_ action: String, actor: String, entityType: String, entityID: String, clientID: Int?,
               at now: Date, details: [String: String] = [:]) async throws {
        let json = try StoredJSON.encode(details)
        try await operations.append(AuditEntry(at: now, actor: actor, action: action, entityType: entityType, entityID: entityID,
                                               clientID: clientID, details: json))
    }
}

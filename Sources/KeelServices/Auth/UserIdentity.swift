/// What a login's user id may be. Ids are folded to lower case and limited to ASCII letters, digits and
/// `. _ - @`, so two ids can never differ only by case or by a look-alike character from another script.
/// Names Keel uses for itself, and the shape of its generated identities, are reserved.
public enum UserIdentity {
    static let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789._-@")
    static let reservedNames: Set<String> = ["system", "reconciliation", "schwab", "keel", "root", "auto", "anonymous"]

    /// The folded id, or a validation error naming `field`.
    public static func normalise(_ raw: String, field: String = "user_id") throws -> String {
        let folded = raw.lowercased()
        guard (3...64).contains(folded.count), folded.allSatisfy({ allowed.contains($0) }) else {
            throw ServiceError.invalid(field, "\(field) must be 3-64 characters of ASCII letters, digits, '.', '_', '-' or '@'")
        }
        return folded
    }

    /// Like `normalise`, and refuses the reserved names a person may not register.
    public static func registrable(_ raw: String, field: String = "user_id") throws -> String {
        let folded = try normalise(raw, field: field)
        if reservedNames.contains(folded) || isClientIdentityLookalike(folded) {
            throw ServiceError.invalid(field, "\(field) '\(folded)' is reserved; choose another")
        }
        return folded
    }

    /// `client-<digits>` was Keel's old generated identity; no login may take that shape again.
    static func isClientIdentityLookalike(_ id: String) -> Bool {
        for prefix in ["client-", "client_", "client."] where id.hasPrefix(prefix) {
            let rest = id.dropFirst(prefix.count)
            if !rest.isEmpty && rest.allSatisfy(\.isNumber) { return true }
        }
        return false
    }
}

import Crypto
import Foundation

/// The rules a new password must meet: 12 to 256 characters, not one of the common passwords shipped with
/// Keel (compared folded, and with trailing digits and symbols removed), and not the user id.
public enum PasswordPolicy {
    public static let minimumLength = 12
    public static let maximumBytes = 1024

    public static func check(_ password: String, userID: String?, field: String = "password") throws {
        guard password.count >= minimumLength else {
            throw ServiceError.invalid(field, "\(field) must have at least \(minimumLength) characters")
        }
        guard password.utf8.count <= maximumBytes else {
            throw ServiceError.invalid(field, "\(field) may have at most \(maximumBytes) bytes")
        }
        let folded = password.lowercased()
        let stem = String(folded.reversed().drop { !$0.isLetter }.reversed())
        if CommonPasswords.all.contains(folded) || CommonPasswords.all.contains(stem) || isRepetitive(folded) {
            throw ServiceError.invalid(field, "\(field) is too common; choose a longer, less predictable one")
        }
        if let userID, !userID.isEmpty, folded == userID.lowercased() || stem == userID.lowercased() || folded == String(userID.lowercased().reversed()) {
            throw ServiceError.invalid(field, "\(field) must not be the user id")
        }
    }

    /// One or two characters repeated, or a straight run such as "123456789012" or "abcdefghijkl".
    static func isRepetitive(_ text: String) -> Bool {
        let scalars = text.unicodeScalars.map(\.value)
        if Set(scalars).count <= 2 { return true }
        let steps = zip(scalars.dropFirst(), scalars).map { Int($0) - Int($1) }
        return Set(steps).count == 1 && abs(steps[0]) == 1
    }

    /// What bcrypt is given. Bcrypt reads only the first 72 bytes, so a longer password is first reduced to
    /// its SHA-256 digest (44 base64 characters): every byte of it counts, none is silently dropped.
    public static func bcryptInput(_ password: String) -> String {
        guard password.utf8.count > 72 else { return password }
        return Data(SHA256.hash(data: Data(password.utf8))).base64EncodedString()
    }
}

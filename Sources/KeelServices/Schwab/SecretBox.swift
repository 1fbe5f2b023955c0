import Crypto
import Foundation

/// Seals secrets (broker tokens) with AES-GCM before they reach the database, so a copy of the database
/// alone reveals no usable token. The key comes from configuration, never from the database.
public struct SecretBox: Sendable {
    /// The key's bytes (SymmetricKey itself is not Sendable).
    private let keyBytes: Data

    /// `secret`: 32 bytes as base64, or any passphrase (hashed with SHA-256 into a key).
    public init(secret: String) {
        if let data = Data(base64Encoded: secret), data.count == 32 {
            keyBytes = data
        } else {
            keyBytes = Data(SHA256.hash(data: Data(secret.utf8)))
        }
    }

    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    public func seal(_ plaintext: String) throws -> String {
        try AES.GCM.seal(Data(plaintext.utf8), using: key).combined!.base64EncodedString()
    }

    public func open(_ sealed: String) throws -> String {
        guard let data = Data(base64Encoded: sealed) else { throw ServiceError(.unavailable, code: "secret_unreadable", message: "a stored secret is corrupt") }
        do {
            return String(decoding: try AES.GCM.open(AES.GCM.SealedBox(combined: data), using: key), as: UTF8.self)
        } catch {
            throw ServiceError(.unavailable, code: "secret_unreadable",
                               message: "a stored secret cannot be decrypted with the configured KEEL_SECRET_KEY (was the key changed?)")
        }
    }

    /// A fresh random 32-byte key, base64: what `KEEL_SECRET_KEY` should hold.
    public static func generateKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
    }
}

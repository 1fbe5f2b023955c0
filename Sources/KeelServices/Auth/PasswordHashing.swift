/// Password hashing behind a protocol: the API layer supplies Bcrypt; tests may use a cheaper cost.
public protocol PasswordHashing: Sendable {
    func hash(_ password: String) throws -> String
    func verify(_ password: String, against hash: String) throws -> Bool
}

import KeelServices
import Vapor

/// Bcrypt from Vapor. The cost is configurable so tests can use the minimum and stay fast.
struct BcryptPasswordHasher: PasswordHashing {
    var cost: Int

    func hash(_ password: String) throws -> String {
        try Bcrypt.hash(password, cost: cost)
    }

    func verify(_ password: String, against hash: String) throws -> Bool {
        try Bcrypt.verify(password, created: hash)
    }
}

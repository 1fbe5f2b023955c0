import KeelStore

/// The authenticated user a request acts for.
public struct Principal: Sendable, Hashable {
    public var userID: String
    public var role: UserRole
    /// For a client login: the client record it is tied to.
    public var clientID: Int?

    public init(userID: String, role: UserRole, clientID: Int?) {
        self.userID = userID
        self.role = role
        self.clientID = clientID
    }

    /// Staff reach every client; a client login only its own.
    public func ensureAccess(toClient clientID: Int) throws {
        if role.isStaff { return }
        guard self.clientID == clientID else { throw ServiceError.forbidden }
    }

    public func ensureStaff() throws {
        guard role.isStaff else {
            throw ServiceError(.forbidden, code: "forbidden", message: "this action needs an advisor or admin")
        }
    }

    public func ensureAdmin() throws {
        guard role == .admin else { throw ServiceError(.forbidden, code: "forbidden", message: "this action needs an admin") }
    }
}

import KeelCore
import KeelServices
import KeelStore
import Vapor

/// Login is public; the rest needs a token. Registered twice, once per side of the auth middleware.
struct AuthController: RouteCollection {
    let publicRoutes: Bool
    let auth: AuthService
    let clock: any KeelClock

    func boot(routes: any RoutesBuilder) throws {
        if publicRoutes {
            routes.post("auth", "login", use: login).openAPI("Log in: a bearer token in the OAuth2 shape", body: LoginRequest.self, example: APIExamples.login)
            return
        }
        routes.post("auth", "logout", use: logout).openAPI("Log out: revokes this token", status: .noContent, response: .none)
        routes.get("auth", "me", use: me).openAPI("Who this token belongs to")
        routes.post("auth", "password", use: changePassword).openAPI("Change your own password (other sessions end)", body: ChangePasswordRequest.self, status: .noContent, response: .none)
        routes.post("users", use: createUser).openAPI("Create a login (admin)", body: CreateUserRequest.self)
        routes.get("users", use: listUsers).openAPI("List logins (admin)")
        routes.get("users", ":user_id", use: user).openAPI("Get a login (admin)")
        routes.patch("users", ":user_id", use: updateUser).openAPI("Change a login's role or client (admin)", body: UpdateUserRequest.self)
        routes.post("users", ":user_id", "deactivate", use: deactivate).openAPI("Deactivate a login and end its sessions (admin)")
        routes.post("users", ":user_id", "activate", use: activate).openAPI("Reactivate a login (admin)")
        routes.post("users", ":user_id", "revoke-sessions", use: revokeSessions).openAPI("End every session of a login (admin)")
        routes.post("users", ":user_id", "password", use: resetPassword).openAPI("Set a login's password (admin)", body: ResetPasswordRequest.self)
        routes.post("users", ":user_id", "unlock", use: unlock).openAPI("Lift a login's failed-attempt lockout (admin)")
    }

    func login(req: Request) async throws -> LoginResponse {
        let body = try req.decodeBody(LoginRequest.self)
        guard let userID = body.userId, !userID.isEmpty else { throw ServiceError.invalid("user_id", "user_id is required") }
        guard let password = body.password, !password.isEmpty else { throw ServiceError.invalid("password", "password is required") }
        // The peer address as Vapor sees it; a forwarding header is not trusted (anyone could set it).
        let address = req.remoteAddress?.ipAddress ?? "unknown"
        let issued = try await auth.login(userID: userID, password: password, address: address)
        let lifetime = max(0, Int(issued.expiresAt.timeIntervalSince(clock.now())))
        return LoginResponse(token: issued.token, accessToken: issued.token, expiresIn: lifetime, expiresAt: issued.expiresAt,
                             userId: issued.user.userID, role: issued.user.role.rawValue, clientId: issued.clientID)
    }

    func logout(req: Request) async throws -> HTTPStatus {
        if let token = req.headers.bearerAuthorization?.token { try await auth.logout(token: token) }
        return .noContent
    }

    func me(req: Request) async throws -> MeResponse {
        let principal = try req.principal
        return MeResponse(userId: principal.userID, role: principal.role.rawValue, clientId: principal.clientID)
    }

    func createUser(req: Request) async throws -> UserResponse {
        let body = try req.decodeBody(CreateUserRequest.self)
        guard let userID = body.userId else { throw ServiceError.invalid("user_id", "user_id is required") }
        guard let password = body.password else { throw ServiceError.invalid("password", "password is required") }
        guard let role = body.role.flatMap(UserRole.init(rawValue:)) else {
            throw ServiceError.invalid("role", "role must be one of admin, advisor, client")
        }
        return UserResponse(try await auth.createUser(by: req.principal, userID: userID, password: password, role: role,
                                                               displayName: body.displayName))
    }

    func listUsers(req: Request) async throws -> [UserResponse] {
        try await auth.listUsers(by: req.principal).map(UserResponse.init)
    }

    func user(req: Request) async throws -> UserResponse {
        UserResponse(try await auth.user(try req.parameters.require("user_id"), by: req.principal))
    }

    /// Changes a login's role (admin) and/or active state.
    func updateUser(req: Request) async throws -> UserResponse {
        let userID = try req.parameters.require("user_id")
        let body = try req.decodeBody(UpdateUserRequest.self)
        guard body.role != nil || body.active != nil else { throw ServiceError.invalid("role", "send role and/or active") }
        var updated = try await auth.user(userID, by: req.principal)
        if let text = body.role {
            guard let role = UserRole(rawValue: text) else { throw ServiceError.invalid("role", "role must be one of admin, advisor, client") }
            updated = try await auth.setRole(userID, role: role, by: req.principal)
        }
        if let active = body.active { updated = try await auth.setActive(userID, active: active, by: req.principal) }
        return UserResponse(updated)
    }

    func deactivate(req: Request) async throws -> UserResponse {
        UserResponse(try await auth.setActive(try req.parameters.require("user_id"), active: false, by: req.principal))
    }

    func activate(req: Request) async throws -> UserResponse {
        UserResponse(try await auth.setActive(try req.parameters.require("user_id"), active: true, by: req.principal))
    }

    func revokeSessions(req: Request) async throws -> UserResponse {
        UserResponse(try await auth.revokeSessions(try req.parameters.require("user_id"), by: req.principal))
    }

    func resetPassword(req: Request) async throws -> UserResponse {
        let body = try req.decodeBody(ResetPasswordRequest.self)
        guard let password = body.password else { throw ServiceError.invalid("password", "password is required") }
        return UserResponse(try await auth.resetPassword(try req.parameters.require("user_id"), to: password, by: req.principal))
    }

    func unlock(req: Request) async throws -> UserResponse {
        UserResponse(try await auth.unlock(try req.parameters.require("user_id"), by: req.principal))
    }

    /// The signed-in user changes their own password; their other sessions end.
    func changePassword(req: Request) async throws -> HTTPStatus {
        let body = try req.decodeBody(ChangePasswordRequest.self)
        guard let current = body.currentPassword else { throw ServiceError.invalid("current_password", "current_password is required") }
        guard let new = body.newPassword else { throw ServiceError.invalid("new_password", "new_password is required") }
        try await auth.changePassword(by: req.principal, currentToken: req.headers.bearerAuthorization?.token ?? "", current: current, new: new)
        return .noContent
    }
}

import KeelServices
import KeelStore
import Vapor

/// Login is public; the rest needs a token. Registered twice, once per side of the auth middleware.
struct AuthController: RouteCollection {
    let publicRoutes: Bool

    func boot(routes: any RoutesBuilder) throws {
        if publicRoutes {
            routes.post("auth", "login", use: login)
            return
        }
        routes.post("auth", "logout", use: logout)
        routes.get("auth", "me", use: me)
        routes.post("users", use: createUser)
        routes.get("users", use: listUsers)
    }

    func login(req: Request) async throws -> LoginResponse {
        let body = try req.decodeBody(LoginRequest.self)
        guard let userID = body.userId, !userID.isEmpty else { throw ServiceError.invalid("user_id", "user_id is required") }
        guard let password = body.password, !password.isEmpty else { throw ServiceError.invalid("password", "password is required") }
        let issued = try await req.keel.auth.login(userID: userID, password: password)
        return LoginResponse(token: issued.token, expiresAt: issued.expiresAt, userId: issued.user.userID, role: issued.user.role.rawValue,
                             clientId: issued.clientID)
    }

    func logout(req: Request) async throws -> HTTPStatus {
        if let token = req.headers.bearerAuthorization?.token { try await req.keel.auth.logout(token: token) }
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
        return UserResponse(try await req.keel.auth.createUser(by: req.principal, userID: userID, password: password, role: role,
                                                               displayName: body.displayName))
    }

    func listUsers(req: Request) async throws -> [UserResponse] {
        try await req.keel.auth.listUsers(by: req.principal).map(UserResponse.init)
    }
}

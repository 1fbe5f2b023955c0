import KeelServices
import KeelStore
import Vapor

struct ClientController: RouteCollection {
    let clients: ClientService
    let accountService: AccountService
    let preferenceService: PreferencesService

    func boot(routes: any RoutesBuilder) throws {
        let clients = routes.grouped("clients")
        clients.post(use: create).openAPI("Onboard a client", body: ClientRequest.self, example: APIExamples.client)
        clients.get(use: list).openAPI("List clients", query: [.choice("status", "only clients in this status", ClientStatus.self), .limit(default: 100, max: 500), .integer("offset", "how many to skip", min: 0)])
        clients.get(":client_id", use: get).openAPI("Get a client")
        clients.patch(":client_id", use: update).openAPI("Change a client's details (only the fields given)", body: ClientRequest.self)
        clients.put(":client_id", use: update).openAPI("Change a client's details (only the fields given)", body: ClientRequest.self)
        clients.delete(":client_id", use: delete).openAPI("Delete a client without accounts or history", status: .noContent, response: .none)
        clients.post(":client_id", "deactivate", use: deactivate).openAPI("Deactivate a client")
        clients.post(":client_id", "activate", use: activate).openAPI("Reactivate a client")
        clients.get(":client_id", "accounts", use: accounts).openAPI("A client's linked accounts")
        clients.get(":client_id", "preferences", use: preferences).openAPI("A client's portfolio preferences")
        clients.put(":client_id", "preferences", use: updatePreferences).openAPI("Change a client's portfolio preferences", body: PreferencesRequest.self, example: APIExamples.preferences)
        clients.get(":client_id", "audit", use: audit).openAPI("A client's audit trail (staff)")
    }

    func create(req: Request) async throws -> ClientResponse {
        let body = try req.decodeBody(ClientRequest.self)
        return ClientResponse(try await clients.create(body.input, by: req.principal))
    }

    func list(req: Request) async throws -> [ClientResponse] {
        let status = try req.query.get(String?.self, at: "status").map { text -> ClientStatus in
            guard let status = ClientStatus(rawValue: text) else { throw ServiceError.invalid("status", "status must be active or inactive") }
            return status
        }
        let limit = try req.query.get(Int?.self, at: "limit") ?? 100
        let offset = try req.query.get(Int?.self, at: "offset") ?? 0
        return try await clients.list(status: status, limit: limit, offset: offset, by: req.principal).map(ClientResponse.init)
    }

    func get(req: Request) async throws -> ClientResponse {
        ClientResponse(try await clients.get(req.intParameter("client_id"), by: req.principal))
    }

    func update(req: Request) async throws -> ClientResponse {
        let body = try req.decodeBody(ClientRequest.self)
        return ClientResponse(try await clients.update(req.intParameter("client_id"), with: body.input, by: req.principal))
    }

    func delete(req: Request) async throws -> HTTPStatus {
        try await clients.delete(req.intParameter("client_id"), by: req.principal)
        return .noContent
    }

    func deactivate(req: Request) async throws -> ClientResponse {
        ClientResponse(try await clients.setStatus(req.intParameter("client_id"), to: .inactive, by: req.principal))
    }

    func activate(req: Request) async throws -> ClientResponse {
        ClientResponse(try await clients.setStatus(req.intParameter("client_id"), to: .active, by: req.principal))
    }

    func accounts(req: Request) async throws -> [AccountResponse] {
        try await accountService.list(clientID: req.intParameter("client_id"), by: req.principal).map(AccountResponse.init)
    }

    func preferences(req: Request) async throws -> PreferencesResponse {
        PreferencesResponse(try await preferenceService.get(clientID: req.intParameter("client_id"), by: req.principal))
    }

    func updatePreferences(req: Request) async throws -> PreferencesResponse {
        let body = try req.decodeBody(PreferencesRequest.self)
        return PreferencesResponse(try await preferenceService.update(clientID: req.intParameter("client_id"), with: body.input, by: req.principal))
    }

    func audit(req: Request) async throws -> [AuditEntryResponse] {
        try await clients.audit(clientID: req.intParameter("client_id"), by: req.principal).map {
            AuditEntryResponse(at: $0.at, actor: $0.actor, action: $0.action, entityType: $0.entityType, entityId: $0.entityID,
                               clientId: $0.clientID, details: $0.details)
        }
    }
}

import Foundation
import OpenAPIKit
import Vapor

/// `GET /openapi.json` (the contract, built once from the route table at start-up) and `GET /docs` (a page that
/// renders it with no network access beyond this server).
struct OpenAPIController: RouteCollection {
    /// The contract's version: raised when a route or a schema changes incompatibly.
    static let apiVersion = "1.0.0"

    func boot(routes: any RoutesBuilder) throws {
        routes.get("openapi.json", use: document)
            .openAPI("This API's OpenAPI 3.1 document", response: .json(JSONValue.self))
        routes.get("docs", use: docs).openAPI("The API reference, rendered from /openapi.json", response: .html)
    }

    func document(req: Request) async throws -> Response {
        guard let json = req.application.storage[OpenAPIDocumentKey.self] else {
            throw Abort(.serviceUnavailable, reason: "the API document is not built yet")
        }
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: .ok, headers: headers, body: .init(data: json))
    }

    func docs(req: Request) async throws -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .html
        return Response(status: .ok, headers: headers, body: .init(string: APIDocsPage.html))
    }

    /// Builds and stores the document; throws when a registered route is undocumented.
    static func install(on app: Application, version: String) throws {
        let document = try OpenAPIDocumentBuilder(routes: app.routes.all, version: version).build()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        app.storage[OpenAPIDocumentKey.self] = try encoder.encode(document)
    }
}

struct OpenAPIDocumentKey: StorageKey {
    typealias Value = Data
}

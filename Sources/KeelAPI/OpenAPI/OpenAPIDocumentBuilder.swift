import Foundation
import OpenAPIKit
import Vapor

/// Builds the OpenAPI 3.1 document from the app's own route table: every registered route with its
/// `RouteDocumentation`, its handler's response type and schemas inferred from the Codable types.
struct OpenAPIDocumentBuilder {
    /// Path parameters the handlers read as integers (`req.intParameter`); every other one is a string.
    static let integerPathParameters: Set<String> = ["client_id"]

    let routes: [Route]
    let version: String

    enum BuildError: Error, CustomStringConvertible {
        case undocumented([String])

        var description: String {
            switch self {
            case .undocumented(let routes): "routes without OpenAPI documentation: \(routes.joined(separator: ", "))"
            }
        }
    }

    static func pathTemplate(_ route: Route) -> String {
        "/" + route.path.map { component -> String in
            switch component {
            case .constant(let text): text
            case .parameter(let name): "{\(name)}"
            case .anything: "{any}"
            case .catchall: "{path}"
            }
        }.joined(separator: "/")
    }

    static func key(_ route: Route) -> String { "\(route.method.rawValue) \(pathTemplate(route))" }

    func build() throws -> OpenAPI.Document {
        let undocumented = routes.filter { $0.documentation == nil }.map(Self.key)
        guard undocumented.isEmpty else { throw BuildError.undocumented(undocumented) }
        let registry = SchemaRegistry()
        let errorSchema = try registry.schema(of: ErrorResponse.self)

        var items: OrderedDictionary<String, OpenAPI.PathItem> = [:]
        for route in routes.sorted(by: { Self.key($0) < Self.key($1) }) {
            let operation = try self.operation(for: route, registry: registry, errorSchema: errorSchema)
            var item = items[Self.pathTemplate(route)] ?? OpenAPI.PathItem()
            switch route.method {
            case .GET: item.get = operation
            case .POST: item.post = operation
            case .PUT: item.put = operation
            case .PATCH: item.patch = operation
            case .DELETE: item.delete = operation
            default: item.additionalOperations[OpenAPI.HttpMethod(rawValue: route.method.rawValue) ?? .get] = operation
            }
            items[Self.pathTemplate(route)] = item
        }
        var paths: OpenAPI.PathItem.Map = [:]
        for (path, item) in items { paths[OpenAPI.Path(rawValue: path)] = .init(item) }

        var schemas: OpenAPI.ComponentDictionary<JSONSchema> = [:]
        for (name, schema) in registry.components { schemas[OpenAPI.ComponentKey(stringLiteral: name)] = schema }
        let bearer = OpenAPI.SecurityScheme.http(
            scheme: "bearer", bearerFormat: "opaque",
            description: "A token from POST /api/auth/login (`access_token`), sent as `Authorization: Bearer <token>`.")
        return OpenAPI.Document(
            openAPIVersion: .v3_1_1,
            info: .init(title: "Keel", description: """
                Portfolio management and automated trading: clients, brokerage accounts, market data, predictions, \
                rebalance batches with advisor approval, execution, goals, jobs. Every error answers \
                `{"error": {"code", "message", "field"}}` (the workspace's `/app` pages answer an HTML error page).
                """, version: version),
            servers: [.init(url: URL(string: "/")!, description: "this server")],
            paths: paths,
            components: .init(schemas: schemas, securitySchemes: [
                "bearerAuth": .init(bearer),
                "sessionCookie": .init(.apiKey(name: "keel_session", location: .cookie,
                                               description: "The workspace's session, set by POST /app/sign-in (HttpOnly, SameSite=Strict); forms also carry `csrf`.")),
            ]),
            security: [])
    }

    private func operation(for route: Route, registry: SchemaRegistry, errorSchema: JSONSchema) throws -> OpenAPI.Operation {
        let doc = route.documentation!
        var parameters: OpenAPI.Parameter.Array = []
        for case .parameter(let name) in route.path {
            let schema: JSONSchema = Self.integerPathParameters.contains(name) ? .integer(format: .int64) : .string
            parameters.append(.init(.path(name: name, schemaOrContent: .a(.init(schema, style: .simple)))))
        }
        for query in doc.query {
            parameters.append(.init(.query(name: query.name, required: query.required,
                                           schemaOrContent: .a(.init(Self.schema(query.kind), style: .form)),
                                           description: query.summary)))
        }

        var requestBody: OpenAPI.Request?
        if let body = doc.requestBody {
            let example = try doc.requestExample.map(Self.example)
            requestBody = OpenAPI.Request(content: [.json: .init(.init(schema: try registry.schema(of: body), example: example))],
                                          required: true)
        }

        var responses: OpenAPI.Response.Map = [:]
        responses[.status(code: Int(doc.status.code))] = .init(try successResponse(route, doc, registry: registry))
        for (status, type) in doc.alternatives.sorted(by: { $0.key.code < $1.key.code }) {
            responses[.status(code: Int(status.code))] = .init(OpenAPI.Response(
                description: status.reasonPhrase, content: [.json: .init(.init(schema: try registry.schema(of: type)))]))
        }
        if let redirect = doc.redirect {
            responses[.status(code: Int(redirect.code))] = .init(OpenAPI.Response(
                description: redirect.reasonPhrase, headers: ["Location": .init(.init(schema: .string(format: .other("uri"))))]))
        }
        // The workspace's pages answer an error as a page in the chrome; the API as its JSON error shape.
        let error = Self.pathTemplate(route).hasPrefix("/app")
            ? OpenAPI.Response(description: "an error page: the status and the reason", content: [.html: .init(.init(schema: .string))])
            : OpenAPI.Response(description: "an error: code, message and the field at fault", content: [.json: .init(.init(schema: errorSchema))])
        responses[.range(.clientError)] = .init(error)
        responses[.range(.serverError)] = .init(error)

        let tag = Self.tag(route)
        let security: [OpenAPI.SecurityRequirement] = switch doc.access {
        case .bearer: [[.component(named: "bearerAuth"): []]]
        case .session: [[.component(named: "sessionCookie"): []]]
        case .anyone: []
        }
        return OpenAPI.Operation(
            tags: [tag], summary: doc.summary, description: doc.details,
            operationId: Self.operationID(route), parameters: parameters, requestBody: requestBody,
            responses: responses, security: security)
    }

    private func successResponse(_ route: Route, _ doc: RouteDocumentation, registry: SchemaRegistry) throws -> OpenAPI.Response {
        let description = doc.status.reasonPhrase
        switch doc.response {
        case .none:
            return .init(description: description)
        case .html:
            return .init(description: description, content: [.html: .init(.init(schema: .string))])
        case .text:
            return .init(description: description, content: [.txt: .init(.init(schema: .string))])
        case .csv:
            return .init(description: description, content: [.csv: .init(.init(schema: .string))])
        case .redirect:
            return .init(description: description, headers: ["Location": .init(.init(schema: .string(format: .other("uri"))))])
        case .json(let explicit):
            if route.responseType == HTTPStatus.self { return .init(description: description) }
            guard let type: any Decodable.Type = explicit ?? (route.responseType as? any Decodable.Type) else {
                throw SchemaProbeError.notDecodable("\(Self.key(route)) answers \(route.responseType); document its body type")
            }
            return .init(description: description, content: [.json: .init(.init(schema: try registry.schema(of: type)))])
        }
    }

    private static func schema(_ kind: QueryParameter.Kind) -> JSONSchema {
        switch kind {
        case .integer(let min, let max):
            .integer(format: .int64, maximum: max.map { ($0, exclusive: false) }, minimum: min.map { ($0, exclusive: false) })
        case .boolean: .boolean
        case .string(let allowed): allowed.map { .string(allowedValues: $0.map { AnyCodable($0) }) } ?? .string
        case .date: .string(format: .date)
        }
    }

    private static func example(_ value: any Encodable & Sendable) throws -> AnyCodable {
        try JSONDecoder().decode(AnyCodable.self, from: KeelJSON.encoder.encode(value))
    }

    private static func tag(_ route: Route) -> String {
        let constants = route.path.compactMap { if case .constant(let text) = $0 { text } else { nil } }
        guard constants.first == "api", constants.count > 1 else {
            return constants.first.map { $0 == "dashboard" ? "dashboard" : $0 } ?? "dashboard"
        }
        switch constants[1] {
        case "rl", "ml-models", "portfolio-health": return "trading"
        case "users": return "auth"
        case "brokerages", "model-portfolios": return "accounts"
        case "strategy-instances": return "trades"
        default: return constants[1]
        }
    }

    private static func operationID(_ route: Route) -> String {
        let parts = route.path.map { component -> String in
            switch component {
            case .constant(let text): text
            case .parameter(let name): "by_\(name)"
            case .anything: "any"
            case .catchall: "path"
            }
        }
        return ([route.method.rawValue.lowercased()] + parts).joined(separator: "_")
            .map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }
}

import OpenAPIKit
import Vapor

/// What the OpenAPI document says about one route beyond what Vapor knows (method, path, response type):
/// a summary, the request body, the query parameters, and for routes that answer a raw `Response` what it holds.
struct RouteDocumentation: Sendable {
    enum Body: Sendable {
        /// The route's handler return type, or `type` when the handler builds a `Response` itself.
        case json(_ type: (any (Decodable & SendableMetatype).Type)? = nil)
        case html
        case text
        case csv
        case redirect
        case none
    }

    enum Access: Sendable {
        case anyone
        /// A bearer token (the group it was registered in requires one); staff-only routes say so in the summary.
        case bearer
        /// The workspace's session cookie (pages and their forms; without it a page redirects to sign-in).
        case session
    }

    var summary: String
    var details: String?
    var requestBody: (any (Decodable & SendableMetatype).Type)?
    var requestExample: (any Encodable & Sendable)?
    var query: [QueryParameter]
    var status: HTTPStatus
    var response: Body
    /// Other statuses this route answers on success (e.g. a readiness probe's 503).
    var alternatives: [HTTPStatus: any (Decodable & SendableMetatype).Type]
    /// A redirect the route may answer instead (e.g. `?redirect=true`).
    var redirect: HTTPStatus?
    var access: Access = .anyone
}

/// One documented query parameter.
struct QueryParameter: Sendable {
    enum Kind: Sendable {
        case integer(min: Int?, max: Int?)
        case boolean
        case string(allowed: [String]?)
        case date
    }

    var name: String
    var kind: Kind
    var summary: String
    var required = false

    static func integer(_ name: String, _ summary: String, min: Int? = nil, max: Int? = nil, required: Bool = false) -> Self {
        .init(name: name, kind: .integer(min: min, max: max), summary: summary, required: required)
    }

    static func boolean(_ name: String, _ summary: String) -> Self { .init(name: name, kind: .boolean, summary: summary) }

    static func string(_ name: String, _ summary: String, allowed: [String]? = nil, required: Bool = false) -> Self {
        .init(name: name, kind: .string(allowed: allowed), summary: summary, required: required)
    }

    static func date(_ name: String, _ summary: String) -> Self { .init(name: name, kind: .date, summary: summary) }

    /// One of an enumeration's raw values.
    static func choice<Choice: CaseIterable & RawRepresentable>(_ name: String, _ summary: String, _ type: Choice.Type) -> Self
    where Choice.RawValue == String {
        .string(name, summary, allowed: type.allCases.map(\.rawValue))
    }

    /// A `limit` of 1…max with its default.
    static func limit(default value: Int, max: Int) -> Self {
        .integer("limit", "how many to return (default \(value))", min: 1, max: max)
    }
}

extension Route {
    /// Documents the route for `/openapi.json`; a route without it fails the contract test.
    @discardableResult
    func openAPI(_ summary: String, details: String? = nil, body: (any (Decodable & SendableMetatype).Type)? = nil,
                 example: (any Encodable & Sendable)? = nil, query: [QueryParameter] = [], status: HTTPStatus = .ok,
                 response: RouteDocumentation.Body = .json(), alternatives: [HTTPStatus: any (Decodable & SendableMetatype).Type] = [:],
                 redirect: HTTPStatus? = nil) -> Route {
        userInfo["keel.openapi"] = RouteDocumentation(
            summary: summary, details: details, requestBody: body, requestExample: example, query: query, status: status,
            response: response, alternatives: alternatives, redirect: redirect)
        return self
    }

    var documentation: RouteDocumentation? {
        get { userInfo["keel.openapi"] as? RouteDocumentation }
        set { userInfo["keel.openapi"] = newValue }
    }
}

extension Application {
    /// Registers `collection` and marks each route it added behind `builder`'s session check as needing the cookie.
    func registerSessionPages(_ collection: any RouteCollection, on builder: any RoutesBuilder) throws {
        let before = routes.all.count
        try builder.register(collection: collection)
        for route in routes.all.dropFirst(before) where route.path.first?.description == "app" && !Self.signInPaths.contains(route.path.map(\.description)) {
            route.documentation?.access = .session
            // Without a session (or with a stale form) the middleware sends the browser to sign in.
            if route.documentation?.redirect == nil, route.documentation?.status != .seeOther { route.documentation?.redirect = .seeOther }
        }
    }

    static let signInPaths: Set<[String]> = [["app", "sign-in"]]

    /// Registers `collection` on `builder` and marks each route it added as needing a bearer token.
    func registerSecured(_ collection: any RouteCollection, on builder: any RoutesBuilder) throws {
        let before = routes.all.count
        try builder.register(collection: collection)
        for route in routes.all.dropFirst(before) { route.documentation?.access = .bearer }
    }
}

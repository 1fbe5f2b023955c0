import OpenAPIKit

/// A type whose JSON the probe cannot infer (it tries several shapes in turn) states its schema itself.
protocol OpenAPISchemaProviding: Decodable {
    static var openAPISchema: JSONSchema { get }
    static var schemaPlaceholder: Self { get }
}

extension JSONValue: OpenAPISchemaProviding {
    static var openAPISchema: JSONSchema { .fragment(description: "any JSON value") }
    static var schemaPlaceholder: JSONValue { .null }
}

extension StrategyParameter: OpenAPISchemaProviding {
    static var openAPISchema: JSONSchema {
        .one(of: .number, .string, .boolean, description: "a number, text or flag")
    }
    static var schemaPlaceholder: StrategyParameter { .flag(false) }
}

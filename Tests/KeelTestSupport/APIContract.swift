import Foundation

/// The served `/openapi.json`, parsed once, and a check of a response against it: the documented status (or the
/// 4XX/5XX error shape), and the body against the documented JSON Schema (the subset OpenAPIKit writes).
public struct APIContract: Sendable {
    public let document: JSONNode
    private let operations: [(method: String, segments: [String], operation: JSONNode)]

    public init(json data: Data) throws {
        document = try JSONDecoder().decode(JSONNode.self, from: data)
        var operations: [(String, [String], JSONNode)] = []
        for (path, item) in document["paths"]?.objectValue ?? [:] {
            for (method, operation) in item.objectValue ?? [:] where operation["responses"] != nil {
                operations.append((method.uppercased(), path.split(separator: "/").map(String.init), operation))
            }
        }
        self.operations = operations
    }

    /// The documented operation matching a concrete request path (literal segments win over `{parameters}`).
    public func operation(_ method: String, _ path: String) -> JSONNode? {
        let segments = (path.split(separator: "?").first.map(String.init) ?? path).split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        let matches = operations.filter { candidate in
            candidate.method == method && candidate.segments.count == segments.count
                && zip(candidate.segments, segments).allSatisfy { template, actual in template.hasPrefix("{") || template == actual }
        }
        return matches.max { literalCount($0.segments) < literalCount($1.segments) }?.operation
    }

    private func literalCount(_ segments: [String]) -> Int { segments.filter { !$0.hasPrefix("{") }.count }

    /// What is wrong with this response according to the document; empty when it conforms.
    public func violations(method: String, path: String, status: Int, contentType: String?, body: String) -> [String] {
        guard let operation = operation(method, path) else {
            // A path or method no route serves: the router's 404/405 in the one error shape (a page under /app).
            if (status == 404 || status == 405), path.hasPrefix("/app"), contentType?.hasPrefix("text/html") == true { return [] }
            guard status == 404 || status == 405, let error = resolve("#/components/schemas/ErrorResponse") else {
                return ["\(method) \(path) is not documented (answered \(status))"]
            }
            var problems: [String] = []
            if let value = try? JSONDecoder().decode(JSONNode.self, from: Data(body.utf8)) {
                validate(value, against: error, at: "$", into: &problems)
            } else {
                problems.append("body is not JSON")
            }
            return problems.map { "\(method) \(path) \(status): \($0)" }
        }
        let responses = operation["responses"]?.objectValue ?? [:]
        let range = "\(status / 100)XX"
        guard let response = responses[String(status)] ?? responses[range] ?? responses["default"] else {
            return ["\(method) \(path) answered \(status), which is not documented (\(responses.keys.sorted().joined(separator: ", ")))"]
        }
        guard let content = response["content"]?.objectValue, !content.isEmpty else {
            return body.isEmpty ? [] : ["\(method) \(path) \(status) documents no body but sent \(body.prefix(80))"]
        }
        guard let json = content["application/json"] else {
            let documented = content.keys.sorted()
            if let contentType, !documented.contains(where: { contentType.hasPrefix($0) }) {
                return ["\(method) \(path) \(status) sent \(contentType), documented \(documented)"]
            }
            return []
        }
        guard let schema = json["schema"] else { return [] }
        guard let value = try? JSONDecoder().decode(JSONNode.self, from: Data(body.utf8)) else {
            return ["\(method) \(path) \(status) body is not JSON: \(body.prefix(80))"]
        }
        var problems: [String] = []
        validate(value, against: schema, at: "$", into: &problems)
        return problems.prefix(10).map { "\(method) \(path) \(status): \($0)" }
    }

    public func validate(_ value: JSONNode, against schema: JSONNode, at path: String, into problems: inout [String]) {
        if case .bool(let allowed) = schema {
            if !allowed { problems.append("\(path) is not allowed") }
            return
        }
        if let reference = schema["$ref"]?.stringValue {
            guard let target = resolve(reference) else { problems.append("\(path): unresolvable \(reference)"); return }
            validate(value, against: target, at: path, into: &problems)
            return
        }
        for key in ["anyOf", "oneOf"] {
            if let options = schema[key]?.arrayValue {
                let passing = options.contains { option in
                    var scratch: [String] = []
                    validate(value, against: option, at: path, into: &scratch)
                    return scratch.isEmpty
                }
                if !passing { problems.append("\(path) matches none of \(key) (\(value.brief))") }
            }
        }
        for part in schema["allOf"]?.arrayValue ?? [] { validate(value, against: part, at: path, into: &problems) }
        if let types = schema["type"].map({ $0.arrayValue?.compactMap(\.stringValue) ?? [$0.stringValue].compactMap { $0 } }),
           !types.isEmpty, !types.contains(where: value.isOfType) {
            problems.append("\(path) should be \(types.joined(separator: " or ")), is \(value.brief)")
            return
        }
        if let allowed = schema["enum"]?.arrayValue, !allowed.contains(value) {
            problems.append("\(path) = \(value.brief) is not one of \(allowed.map(\.brief))")
        }
        if case .number(let number) = value {
            if let minimum = schema["minimum"]?.numberValue, number < minimum { problems.append("\(path) = \(number) < minimum \(minimum)") }
            if let maximum = schema["maximum"]?.numberValue, number > maximum { problems.append("\(path) = \(number) > maximum \(maximum)") }
        }
        if case .string(let text) = value, schema["format"]?.stringValue == "date-time",
           ISO8601DateFormatter().date(from: text) == nil {
            problems.append("\(path) = \(text) is not a date-time")
        }
        if case .array(let items) = value, let itemSchema = schema["items"] {
            for (index, item) in items.enumerated() { validate(item, against: itemSchema, at: "\(path)[\(index)]", into: &problems) }
        }
        if case .object(let object) = value {
            let properties = schema["properties"]?.objectValue ?? [:]
            for required in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[required] == nil {
                problems.append("\(path).\(required) is required but missing")
            }
            for (key, child) in object {
                if let propertySchema = properties[key] {
                    validate(child, against: propertySchema, at: "\(path).\(key)", into: &problems)
                } else if let additional = schema["additionalProperties"] {
                    validate(child, against: additional, at: "\(path).\(key)", into: &problems)
                }
            }
        }
    }

    private func resolve(_ reference: String) -> JSONNode? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: JSONNode? = document
        for part in reference.dropFirst(2).split(separator: "/") { node = node?[String(part)] }
        return node
    }
}

/// A parsed JSON value that keeps booleans, integers and other numbers apart.
public enum JSONNode: Decodable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONNode])
    case object([String: JSONNode])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let bool = try? container.decode(Bool.self) { self = .bool(bool) }
        else if let number = try? container.decode(Double.self) { self = .number(number) }
        else if let string = try? container.decode(String.self) { self = .string(string) }
        else if let array = try? container.decode([JSONNode].self) { self = .array(array) }
        else { self = .object(try container.decode([String: JSONNode].self)) }
    }

    public subscript(key: String) -> JSONNode? { objectValue?[key] }
    public var objectValue: [String: JSONNode]? { if case .object(let value) = self { value } else { nil } }
    public var arrayValue: [JSONNode]? { if case .array(let value) = self { value } else { nil } }
    public var stringValue: String? { if case .string(let value) = self { value } else { nil } }
    public var numberValue: Double? { if case .number(let value) = self { value } else { nil } }

    func isOfType(_ type: String) -> Bool {
        switch (type, self) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .number(let value)): value.rounded() == value
        default: false
        }
    }

    var brief: String {
        switch self {
        case .null: "null"
        case .bool(let value): "\(value)"
        case .number(let value): "\(value)"
        case .string(let value): "\"\(value.prefix(40))\""
        case .array(let value): "array(\(value.count))"
        case .object(let value): "object(\(value.keys.sorted().prefix(6).joined(separator: ",")))"
        }
    }
}

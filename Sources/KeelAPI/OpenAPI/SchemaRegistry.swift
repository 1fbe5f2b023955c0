import Foundation
import OpenAPIKit

/// JSON Schemas of the API's Codable types, inferred by running each type's `init(from:)` against
/// `SchemaProbeDecoder`, so the document cannot drift from the types the handlers really decode and encode.
/// Every object type becomes a named component (`#/components/schemas/...`) and is referred to by `$ref`.
final class SchemaRegistry {
    private(set) var components: OrderedDictionary<String, JSONSchema> = [:]
    private var probed: [ObjectIdentifier: (schema: JSONSchema, value: Any)] = [:]
    private var wireNames: [String: String] = [:]

    /// The schema of `type` (a `$ref` for objects) and a placeholder value of it.
    func probe<T: Decodable>(_ type: T.Type) throws -> (JSONSchema, T) {
        if let known = probed[ObjectIdentifier(type)], let value = known.value as? T { return (known.schema, value) }
        let (schema, value) = try infer(type)
        probed[ObjectIdentifier(type)] = (schema, value)
        return (schema, value)
    }

    func schema(of type: any Decodable.Type) throws -> JSONSchema { try probeErased(type).0 }

    private func probeErased<T: Decodable>(_ type: T.Type) throws -> (JSONSchema, Any) {
        let (schema, value) = try probe(type)
        return (schema, value)
    }

    private func infer<T: Decodable>(_ type: T.Type) throws -> (JSONSchema, T) {
        if let primitive = Self.primitive(type) { return primitive }
        if let stated = type as? any OpenAPISchemaProviding.Type, let placeholder = stated.schemaPlaceholder as? T {
            return (stated.openAPISchema, placeholder)
        }
        if let optional = type as? any OptionalProbe.Type {
            let (wrapped, _) = try probeErased(optional.wrappedProbeType)
            return (Self.optional(wrapped), optional.probeNone as! T)
        }
        if let dictionary = type as? any StringKeyedDictionaryProbe.Type {
            let (values, _) = try probeErased(dictionary.probedValueType)
            return (.object(additionalProperties: .b(values)), dictionary.emptyProbeValue as! T)
        }
        if let enumeration = type as? any CaseIterable.Type, let cases = Self.cases(of: enumeration), let first = cases.first as? T {
            return (cases.schema, first)
        }
        let shape = ProbedShape()
        let value: T
        do {
            value = try T(from: SchemaProbeDecoder(registry: self, shape: shape))
        } catch {
            throw SchemaProbeError.unsupported("\(String(reflecting: type)) (\(error))")
        }
        switch shape.kind {
        case .object:
            let name = Self.componentName(type)
            var properties: OrderedDictionary<String, JSONSchema> = [:]
            for property in shape.properties where properties[property.name] == nil { properties[property.name] = property.schema }
            components[name] = .object(properties: properties, additionalProperties: .a(false))
            return (.reference(.component(named: name)), value)
        case .array:
            return (.array(items: shape.items ?? .fragment()), value)
        case .single:
            return (shape.single ?? .fragment(), value)
        case nil:
            return (.fragment(), value)
        }
    }

    /// The name a property has on the wire: the API's own JSON encoder converts it (snake_case).
    func wireName(_ key: String) -> String {
        if let known = wireNames[key] { return known }
        let name = Self.encodedKey(key) ?? key
        wireNames[key] = name
        return name
    }

    static func optional(_ schema: JSONSchema) -> JSONSchema {
        switch schema.value {
        case .reference:
            return .any(of: [schema, .null()], core: .init(required: false))
        case .fragment, .one, .any:
            // Already admits null (any value), or is a union: absence is what changes.
            return schema.optionalSchemaObject()
        default:
            return schema.optionalSchemaObject().nullableSchemaObject()
        }
    }

    private static func encodedKey(_ key: String) -> String? {
        guard let data = try? KeelJSON.encoder.encode(SingleKeyObject(key: key)),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object.keys.first
    }

    private static func componentName(_ type: Any.Type) -> String {
        // "KeelAPI.FeaturesResponse.Row" -> "FeaturesResponseRow": unique across nested types, no module.
        let parts = String(reflecting: type).split(separator: ".").dropFirst()
        return parts.joined().filter { $0.isLetter || $0.isNumber }
    }

    private static func primitive<T>(_ type: T.Type) -> (JSONSchema, T)? {
        func answer<V>(_ schema: JSONSchema, _ value: V) -> (JSONSchema, T)? {
            if let typed = value as? T { return (schema, typed) }
            if let typed = Probed(value: value) as? T { return (schema, typed) }
            return nil
        }
        switch type {
        case is String.Type, is Probed<String>.Type: return answer(.string, "")
        case is Bool.Type, is Probed<Bool>.Type: return answer(.boolean, false)
        case is Double.Type, is Probed<Double>.Type: return answer(.number(format: .double), 0.0)
        case is Float.Type, is Probed<Float>.Type: return answer(.number(format: .float), Float(0))
        case is Int.Type, is Probed<Int>.Type: return answer(.integer(format: .int64), 0)
        case is Int64.Type, is Probed<Int64>.Type: return answer(.integer(format: .int64), Int64(0))
        case is Int32.Type, is Probed<Int32>.Type: return answer(.integer(format: .int32), Int32(0))
        case is Int16.Type, is Probed<Int16>.Type: return answer(.integer, Int16(0))
        case is Int8.Type, is Probed<Int8>.Type: return answer(.integer, Int8(0))
        case is UInt.Type, is Probed<UInt>.Type: return answer(.integer(minimum: (0, exclusive: false)), UInt(0))
        case is UInt64.Type, is Probed<UInt64>.Type: return answer(.integer(minimum: (0, exclusive: false)), UInt64(0))
        case is UInt32.Type, is Probed<UInt32>.Type: return answer(.integer(minimum: (0, exclusive: false)), UInt32(0))
        case is UInt16.Type, is Probed<UInt16>.Type: return answer(.integer(minimum: (0, exclusive: false)), UInt16(0))
        case is UInt8.Type, is Probed<UInt8>.Type: return answer(.integer(minimum: (0, exclusive: false)), UInt8(0))
        case is Decimal.Type: return answer(.number, Decimal(0))
        case is Date.Type: return answer(.string(format: .dateTime), Date(timeIntervalSince1970: 0))
        case is UUID.Type: return answer(.string(format: .other("uuid")), UUID())
        case is URL.Type: return answer(.string(format: .other("uri")), URL(string: "https://example.invalid/")!)
        default: return nil
        }
    }

    private static func cases(of type: any CaseIterable.Type) -> (first: Any?, schema: JSONSchema)? {
        func open<E: CaseIterable>(_ type: E.Type) -> (first: Any?, schema: JSONSchema)? {
            let all = Array(type.allCases)
            let raw = all.compactMap { ($0 as? any RawRepresentable)?.rawValue }
            if let strings = raw as? [String], strings.count == all.count {
                return (all.first, .string(allowedValues: strings.map { AnyCodable($0) }))
            }
            if let ints = raw as? [Int], ints.count == all.count {
                return (all.first, .integer(allowedValues: ints.map { AnyCodable($0) }))
            }
            return nil
        }
        return open(type)
    }
}

/// Lets the registry see through `Optional` without an instance.
protocol OptionalProbe {
    static var wrappedProbeType: any Decodable.Type { get }
    static var probeNone: Self { get }
}

extension Optional: OptionalProbe where Wrapped: Decodable {
    static var wrappedProbeType: any Decodable.Type { Wrapped.self }
    static var probeNone: Self { nil }
}

/// `[String: V]` decodes by iterating keys the probe does not have; the registry documents it as a map of V.
protocol StringKeyedDictionaryProbe {
    static var probedValueType: any Decodable.Type { get }
    static var emptyProbeValue: Self { get }
}

extension Dictionary: StringKeyedDictionaryProbe where Key == String, Value: Decodable {
    static var probedValueType: any Decodable.Type { Value.self }
    static var emptyProbeValue: Self { [:] }
}

private struct SingleKeyObject: Encodable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    let key: String

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(0, forKey: Key(stringValue: key))
    }
}

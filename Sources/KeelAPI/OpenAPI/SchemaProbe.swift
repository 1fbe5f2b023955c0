import Foundation
import OpenAPIKit

/// What one probed value turned out to be: an object (its properties), an array (its items) or a single value.
final class ProbedShape {
    enum Kind { case object, array, single }
    var kind: Kind?
    var properties: [(name: String, schema: JSONSchema)] = []
    /// Keys asked for through `contains` (how `decodeIfPresent` starts): those properties are optional.
    var optionalKeys: Set<String> = []
    var items: JSONSchema?
    var single: JSONSchema?
}

/// A `Decoder` that answers every request with a placeholder and records what was asked: running a type's own
/// `init(from:)` against it yields the type's JSON shape, the same code path the API decodes requests with.
struct SchemaProbeDecoder: Decoder {
    let registry: SchemaRegistry
    let shape: ProbedShape
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        shape.kind = .object
        return KeyedDecodingContainer(SchemaProbeKeyedContainer<Key>(registry: registry, shape: shape, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        shape.kind = .array
        return SchemaProbeUnkeyedContainer(registry: registry, shape: shape, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        shape.kind = .single
        return SchemaProbeSingleValueContainer(registry: registry, shape: shape, codingPath: codingPath)
    }
}

struct SchemaProbeKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let registry: SchemaRegistry
    let shape: ProbedShape
    var codingPath: [any CodingKey]
    var allKeys: [Key] { [] }

    func contains(_ key: Key) -> Bool {
        shape.optionalKeys.insert(key.stringValue)
        return true
    }

    func decodeNil(forKey key: Key) throws -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let (schema, value) = try registry.probe(T.self)
        let optional = shape.optionalKeys.contains(key.stringValue)
        shape.properties.append((registry.wireName(key.stringValue), optional ? SchemaRegistry.optional(schema) : schema))
        return value
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decode(Probed<Bool>.self, forKey: key).value }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decode(Probed<String>.self, forKey: key).value }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decode(Probed<Double>.self, forKey: key).value }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decode(Probed<Float>.self, forKey: key).value }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decode(Probed<Int>.self, forKey: key).value }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decode(Probed<Int8>.self, forKey: key).value }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decode(Probed<Int16>.self, forKey: key).value }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decode(Probed<Int32>.self, forKey: key).value }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decode(Probed<Int64>.self, forKey: key).value }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decode(Probed<UInt>.self, forKey: key).value }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decode(Probed<UInt8>.self, forKey: key).value }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decode(Probed<UInt16>.self, forKey: key).value }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decode(Probed<UInt32>.self, forKey: key).value }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decode(Probed<UInt64>.self, forKey: key).value }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        throw SchemaProbeError.unsupported("nested keyed container at \(key.stringValue)")
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw SchemaProbeError.unsupported("nested unkeyed container at \(key.stringValue)")
    }

    func superDecoder() throws -> any Decoder { throw SchemaProbeError.unsupported("superDecoder") }
    func superDecoder(forKey key: Key) throws -> any Decoder { throw SchemaProbeError.unsupported("superDecoder") }
}

struct SchemaProbeUnkeyedContainer: UnkeyedDecodingContainer {
    let registry: SchemaRegistry
    let shape: ProbedShape
    var codingPath: [any CodingKey]
    var count: Int? { 1 }
    var isAtEnd: Bool { shape.items != nil }
    var currentIndex: Int { shape.items == nil ? 0 : 1 }

    mutating func decodeNil() throws -> Bool { false }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (schema, value) = try registry.probe(T.self)
        shape.items = schema
        return value
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try decode(Probed<Bool>.self).value }
    mutating func decode(_ type: String.Type) throws -> String { try decode(Probed<String>.self).value }
    mutating func decode(_ type: Double.Type) throws -> Double { try decode(Probed<Double>.self).value }
    mutating func decode(_ type: Float.Type) throws -> Float { try decode(Probed<Float>.self).value }
    mutating func decode(_ type: Int.Type) throws -> Int { try decode(Probed<Int>.self).value }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try decode(Probed<Int8>.self).value }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try decode(Probed<Int16>.self).value }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try decode(Probed<Int32>.self).value }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try decode(Probed<Int64>.self).value }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try decode(Probed<UInt>.self).value }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try decode(Probed<UInt8>.self).value }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try decode(Probed<UInt16>.self).value }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try decode(Probed<UInt32>.self).value }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try decode(Probed<UInt64>.self).value }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        throw SchemaProbeError.unsupported("nested keyed container in an array")
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw SchemaProbeError.unsupported("nested unkeyed container in an array")
    }

    mutating func superDecoder() throws -> any Decoder { throw SchemaProbeError.unsupported("superDecoder") }
}

struct SchemaProbeSingleValueContainer: SingleValueDecodingContainer {
    let registry: SchemaRegistry
    let shape: ProbedShape
    var codingPath: [any CodingKey]

    func decodeNil() -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (schema, value) = try registry.probe(T.self)
        shape.single = schema
        return value
    }

    func decode(_ type: Bool.Type) throws -> Bool { try decode(Probed<Bool>.self).value }
    func decode(_ type: String.Type) throws -> String { try decode(Probed<String>.self).value }
    func decode(_ type: Double.Type) throws -> Double { try decode(Probed<Double>.self).value }
    func decode(_ type: Float.Type) throws -> Float { try decode(Probed<Float>.self).value }
    func decode(_ type: Int.Type) throws -> Int { try decode(Probed<Int>.self).value }
    func decode(_ type: Int8.Type) throws -> Int8 { try decode(Probed<Int8>.self).value }
    func decode(_ type: Int16.Type) throws -> Int16 { try decode(Probed<Int16>.self).value }
    func decode(_ type: Int32.Type) throws -> Int32 { try decode(Probed<Int32>.self).value }
    func decode(_ type: Int64.Type) throws -> Int64 { try decode(Probed<Int64>.self).value }
    func decode(_ type: UInt.Type) throws -> UInt { try decode(Probed<UInt>.self).value }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decode(Probed<UInt8>.self).value }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decode(Probed<UInt16>.self).value }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decode(Probed<UInt32>.self).value }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decode(Probed<UInt64>.self).value }
}

/// Routes a primitive request through the generic path, where the registry knows each primitive's schema.
struct Probed<Value>: Decodable {
    let value: Value
    init(value: Value) { self.value = value }
    init(from decoder: any Decoder) throws { throw SchemaProbeError.unsupported("Probed is answered by the registry") }
}

enum SchemaProbeError: Error, CustomStringConvertible {
    case unsupported(String)
    case notDecodable(String)

    var description: String {
        switch self {
        case .unsupported(let what): "schema probe: \(what) is not supported"
        case .notDecodable(let type): "schema probe: \(type) is not Decodable"
        }
    }
}

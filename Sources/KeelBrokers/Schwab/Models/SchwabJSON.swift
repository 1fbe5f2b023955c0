import Foundation
import KeelCore

/// Schwab's JSON is loose about types: account numbers are strings in accounts and integers in orders,
/// order ids are integers in orders and strings in transactions, prices are strings in requests and numbers
/// in responses, and dates come as `2025-01-17T17:19:49+0000`, with a colon, or as a bare date. These
/// wrappers accept every form seen in real responses.
public struct LenientString: Codable, Sendable, Hashable, CustomStringConvertible {
    public var value: String

    public init(_ value: String) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            value = text
        } else if let number = try? container.decode(Int64.self) {
            value = String(number)
        } else {
            value = String(try container.decode(Double.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    public var description: String { value }
}

public struct LenientInt64: Codable, Sendable, Hashable {
    public var value: Int64

    public init(_ value: Int64) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            value = number
        } else if let text = try? container.decode(String.self), let number = Int64(text) {
            value = number
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an integer or a numeric string")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

public struct LenientDouble: Codable, Sendable, Hashable {
    public var value: Double

    public init(_ value: Double) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            value = number
        } else if let text = try? container.decode(String.self), let number = Double(text) {
            value = number
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a number or a numeric string")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

public enum SchwabJSON {
    /// `2025-01-17T17:19:49+0000` (no colon in the offset), with a colon, with milliseconds, or a bare date.
    public static func parseDate(_ text: String) -> Date? {
        DateText.instant(text)?.date
    }

    /// Schwab's own rendering: `2025-01-17T17:19:49+0000` (or `…49.123Z` with milliseconds, as its query parameters take).
    public static func format(_ date: Date, milliseconds: Bool = false) -> String {
        DateText.format(date, style: milliseconds ? .zulu : .compact, milliseconds: milliseconds)
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self), let date = parseDate(text) { return date }
            if let millis = try? container.decode(Double.self) { return Date(timeIntervalSince1970: millis / 1000) }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unrecognised Schwab date")
        }
        return decoder
    }

    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(format(date))
        }
        return encoder
    }
}

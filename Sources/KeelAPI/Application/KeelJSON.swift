import Foundation
import Vapor

/// snake_case keys and ISO-8601 dates, both ways, for every request and response.
enum KeelJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = parseDate(text) { return date }
            // Thrown with the field's path, so the answer is a 422 naming the field (not "malformed JSON").
            throw DecodingError.dataCorruptedError(in: container, debugDescription: dateFormats)
        }
        return decoder
    }()

    /// What a date field of a request takes.
    static let dateFormats = "must be an ISO-8601 time such as 2027-01-05T14:30:00Z (fractional seconds and offsets allowed) or a date such as 2027-01-05 (midnight UTC)"

    /// An ISO-8601 time (with or without fractional seconds) or a plain date (midnight UTC).
    static func parseDate(_ text: String) -> Date? {
        guard text.utf8.count <= 40 else { return nil }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        if text.utf8.count == 10, let date = try? Date(text, strategy: Date.ISO8601FormatStyle().year().month().day()) { return date }
        return nil
    }

    static func install() {
        ContentConfiguration.global.use(encoder: encoder, for: .json)
        ContentConfiguration.global.use(decoder: decoder, for: .json)
    }
}

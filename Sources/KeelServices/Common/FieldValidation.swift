import Foundation

/// Field checks shared by the workflows; each throws a 422 naming the field.
enum FieldValidation {
    static func requiredText(_ value: String?, field: String, maxLength: Int = 100) throws -> String {
        let trimmed = value?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard !trimmed.isEmpty else { throw ServiceError.invalid(field, "\(field) is required") }
        guard trimmed.count <= maxLength else { throw ServiceError.invalid(field, "\(field) must be at most \(maxLength) characters") }
        return trimmed
    }

    static func email(_ value: String?, field: String = "email") throws -> String {
        let text = try requiredText(value, field: field, maxLength: 254).lowercased()
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              !text.contains(" ") else {
            throw ServiceError.invalid(field, "\(field) must be a valid email address like name@example.com")
        }
        return text
    }

    static func phone(_ value: String?, field: String = "phone") throws -> String? {
        guard let text = value?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        let digits = text.filter(\.isNumber)
        let allowed = CharacterSet(charactersIn: "0123456789+-() .")
        guard (7...15).contains(digits.count), text.unicodeScalars.allSatisfy(allowed.contains) else {
            throw ServiceError.invalid(field, "\(field) must be a phone number of 7 to 15 digits")
        }
        return text
    }

    /// An ISO date (YYYY-MM-DD) of an adult: 18 to 120 years before `now`.
    static func dateOfBirth(_ value: String?, now: Date, field: String = "date_of_birth") throws -> String? {
        guard let text = value?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        guard let date = formatter.date(from: text), formatter.string(from: date) == text else {
            throw ServiceError.invalid(field, "\(field) must be a date like 1980-04-23")
        }
        let years = Calendar(identifier: .gregorian).dateComponents([.year], from: date, to: now).year ?? 0
        guard (18...120).contains(years) else { throw ServiceError.invalid(field, "the client must be between 18 and 120 years old") }
        return text
    }

    static func range<T: Comparable>(_ value: T, _ range: ClosedRange<T>, field: String) throws -> T {
        guard range.contains(value) else {
            throw ServiceError.invalid(field, "\(field) must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    static func oneOf(_ value: String, _ allowed: [String], field: String) throws -> String {
        guard allowed.contains(value) else { throw ServiceError.invalid(field, "\(field) must be one of \(allowed.joined(separator: ", "))") }
        return value
    }
}

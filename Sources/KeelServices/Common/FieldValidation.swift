import Foundation
import KeelCore

/// Field checks shared by the workflows; each throws a 422 naming the field.
public enum FieldValidation {
    static func requiredText(_ value: String?, field: String, maxLength: Int = 100) throws -> String {
        let trimmed = value?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard !trimmed.isEmpty else { throw ServiceError.invalid(field, "\(field) is required") }
        guard trimmed.count <= maxLength else { throw ServiceError.invalid(field, "\(field) must be at most \(maxLength) characters") }
        try printable(trimmed, field: field)
        return trimmed
    }

    /// A ticker symbol: required, at most 20 characters, letters, digits, '-', '.' and '/' only; returned upper-cased.
    static func symbol(_ value: String?, field: String = "symbol") throws -> String {
        let symbol = try requiredText(value, field: field, maxLength: 20).uppercased()
        guard symbol.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "/" }) else {
            throw ServiceError.invalid(field, "\(field) may hold letters, digits, '-', '.' and '/' only")
        }
        return symbol
    }

    /// Text a person typed holds no control characters but tab and line breaks: a NUL cannot be stored (PostgreSQL
    /// refuses it in text) and the others only hide what the text says. A 422 naming the field.
    static func printable(_ text: String, field: String) throws {
        let refused = text.unicodeScalars.first { ($0.value < 0x20 && $0 != "\t" && $0 != "\n" && $0 != "\r") || $0.value == 0x7F }
        if let refused {
            throw ServiceError.invalid(field, "\(field) must not contain control characters (found U+\(String(format: "%04X", refused.value)))")
        }
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

    /// A calendar day, exactly YYYY-MM-DD and a real one (`DateText`); a 422 naming the field otherwise.
    public static func day(_ text: String, field: String) throws -> CivilDay {
        guard let day = DateText.day(text) else { throw ServiceError.invalid(field, "\(field) must be a real date like 2015-06-30 (YYYY-MM-DD)") }
        return day
    }

    /// A day (midnight UTC) or an RFC 3339 date-time, its offset applied (`DateText`); a 422 naming the field otherwise.
    public static func instant(_ text: String, field: String) throws -> Date {
        guard let parsed = DateText.instant(text) else {
            throw ServiceError.invalid(field, "\(field) must be a real date like 2015-06-30 or a date-time like 2015-06-30T16:00:00Z")
        }
        return parsed.date
    }

    /// An ISO date (YYYY-MM-DD) of an adult: 18 to 120 years before `now`.
    static func dateOfBirth(_ value: String?, now: Date, field: String = "date_of_birth") throws -> String? {
        guard let text = value?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        let date = try day(text, field: field).date
        let years = Calendar(identifier: .gregorian).dateComponents([.year], from: date, to: now).year ?? 0
        guard (18...120).contains(years) else { throw ServiceError.invalid(field, "the client must be between 18 and 120 years old") }
        return text
    }

    public static func range<T: Comparable>(_ value: T, _ range: ClosedRange<T>, field: String) throws -> T {
        guard range.contains(value) else {
            throw ServiceError.invalid(field, "\(field) must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    static func oneOf(_ value: String, _ allowed: [String], field: String) throws -> String {
        guard allowed.contains(value) else { throw ServiceError.invalid(field, "\(field) must be one of \(allowed.joined(separator: ", "))") }
        return value
    }

    /// A ledger number (money, quantity, price) checked at the boundary so that both databases store it exactly
    /// or refuse it alike: inside `range`, at most `scale` decimals, at most 15 significant digits (SQLite's
    /// NUMERIC keeps 15; PostgreSQL's NUMERIC(28,10) would overflow far above the ranges used here).
    static func ledger(_ value: Decimal, field: String, range: ClosedRange<Decimal>, scale: Int) throws -> Decimal {
        guard value.isFinite, range.contains(value) else {
            throw ServiceError.invalid(field, "\(field) must be between \(range.lowerBound) and \(range.upperBound)")
        }
        guard value.rounded(scale: scale) == value else { throw ServiceError.invalid(field, "\(field) may have at most \(scale) decimals") }
        guard significantDigits(value) <= 15 else { throw ServiceError.invalid(field, "\(field) has more than 15 significant digits") }
        return value
    }

    static func ledger(_ value: Decimal?, field: String, range: ClosedRange<Decimal>, scale: Int) throws -> Decimal? {
        guard let value else { return nil }
        let checked: Decimal = try ledger(value, field: field, range: range, scale: scale)
        return checked
    }

    static func significantDigits(_ value: Decimal) -> Int {
        let digits = value.magnitude.description.filter(\.isNumber)
        let trimmed = digits.drop { $0 == "0" }
        return String(trimmed.reversed()).drop { $0 == "0" }.count
    }
}

/// The ranges of the ledger's numbers; products (quantity x price) stay far inside NUMERIC(28,10).
enum LedgerLimits {
    /// Cash, values and fees: up to a trillion, in cents.
    static let money: ClosedRange<Decimal> = -1_000_000_000_000...1_000_000_000_000
    static let nonNegativeMoney: ClosedRange<Decimal> = 0...1_000_000_000_000
    static let quantity: ClosedRange<Decimal> = 0...1_000_000_000
    static let price: ClosedRange<Decimal> = 0...10_000_000
}

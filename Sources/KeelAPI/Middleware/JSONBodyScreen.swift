import Foundation
import KeelServices

/// Screens a JSON body before it is decoded into a request type: every string (and key) free of NUL bytes,
/// every number finite and within ±1e15. The limits are far beyond any field's own range, which the
/// services check; this screen makes the classes "text the database cuts or refuses" and "a number that
/// overflows a column or an integer" impossible for every route at once, on both databases alike.
enum JSONBodyScreen {
    static let numberLimit = 1e15

    static func check(_ data: Data) throws {
        guard let root = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return } // the decoder reports malformed JSON
        try visit(root, path: [])
    }

    private static func visit(_ value: Any, path: [String]) throws {
        let field = path.isEmpty ? "body" : path.joined(separator: ".")
        switch value {
        case let text as String:
            if text.unicodeScalars.contains("\0") { throw ServiceError.invalid(field, "\(field) contains a NUL character") }
        case let number as NSNumber:
            let double = number.doubleValue
            guard double.isFinite, abs(double) <= numberLimit else {
                throw ServiceError.invalid(field, "\(field) is out of range (at most \(Int(numberLimit)) in magnitude)")
            }
        case let object as [String: Any]:
            for (key, child) in object {
                if key.unicodeScalars.contains("\0") { throw ServiceError.invalid(field, "a key in \(field) contains a NUL character") }
                try visit(child, path: path + [key])
            }
        case let array as [Any]:
            for (index, child) in array.enumerated() { try visit(child, path: path + [String(index)]) }
        default:
            return
        }
    }
}

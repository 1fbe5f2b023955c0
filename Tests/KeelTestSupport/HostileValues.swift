import Foundation
import KeelCore

/// Values a careless or hostile caller sends: extremes of every JSON type, wrong types, NUL bytes, huge and
/// empty strings, duplicates. Drawn from a seed so a failing case can be replayed.
public struct HostileValues {
    var generator: SeededGenerator

    public init(seed: Int) {
        generator = SeededGenerator(seed: UInt64(truncatingIfNeeded: seed))
    }

    static let numbers: [any Sendable] = [0, 1, -1, 2, 3, 5, 21, 22, 252, 1_000, 99_999, 1e6, 9.2e18, -9.2e18, 1e300, -1e300, 1e-12, 0.5, -0.5,
                                          Int.max, Int.min, Int(Int32.max), 2520, 2521, 100.123456789, 12_345_678.12345678]
    static let strings: [any Sendable] = ["", " ", "AAPL", "aapl", "MSFT", "BTCUSDT", "Ada\u{0000}x", "\u{0000}", String(repeating: "x", count: 5_000),
                                          "🙂", "momentum", "sma-cross", "buy-and-hold", "model:1", "model:999999", "model:-1", "monthly_return",
                                          "max_drawdown", "profit_target", "LONG", "SHORT", "2026-12-31", "1900-01-01", "9999-12-31",
                                          "2026-13-45", "nyse", "24/7", "next_open", "close", "paper", "live", "<script>", "' OR 1=1 --"]

    public mutating func any() -> any Sendable {
        switch Int.random(in: 0..<10, using: &generator) {
        case 0...3: return Self.numbers.randomElement(using: &generator)!
        case 4...6: return Self.strings.randomElement(using: &generator)!
        case 7: return Bool.random(using: &generator)
        case 8: return NSNull()
        default:
            let count = Int.random(in: 0...4, using: &generator)
            if Bool.random(using: &generator) { return (0..<count).map { _ in Self.strings.randomElement(using: &generator)! as! String } }
            return ["nested": Self.numbers.randomElement(using: &generator)!] as [String: any Sendable]
        }
    }

    /// `valid` values for each field, each replaced by a hostile one with probability `hostility`; fields sometimes dropped.
    public mutating func body(_ valid: [String: any Sendable], hostility: Double = 0.4) -> [String: any Sendable] {
        var body: [String: any Sendable] = [:]
        for (key, value) in valid.sorted(by: { $0.key < $1.key }) {
            let roll = Double.random(in: 0..<1, using: &generator)
            if roll < 0.1 { continue }
            body[key] = roll < 0.1 + hostility ? any() : value
        }
        return body
    }

    public mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &generator) }

    /// Markup a hostile form field carries: if a page ever shows one of these unescaped, the tag appears as is.
    public static let injected = "<x-injected"
    /// A meta refresh that sends the browser off-site if a page ever writes it into its head unescaped.
    public static let injectedRefresh = "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">"
    static let formStrings = ["\">" + injectedRefresh, "Ada \"Countess\" Lovelace", "\"><x-injected a=1>", "' onfocus='alert(1)", "</textarea><x-injected>", "<x-injected>", "&lt;x&gt;", "%3Cx-injected%3E",
                              "javascript:alert(1)", "//evil.example", "\r\nSet-Cookie: x=1"]

    /// What a careless or hostile person types into a form field (forms carry text only).
    public mutating func formText() -> String {
        if Int.random(in: 0..<3, using: &generator) == 0 { return Self.formStrings.randomElement(using: &generator)! }
        let value = any()
        switch value {
        case let text as String: return text
        case let number as Int: return String(number)
        case let number as Double: return String(number)
        case let flag as Bool: return flag ? "true" : "false"
        default: return ""
        }
    }
}

import Foundation

/// Explicit rounding rules for ledger values: cash to cents, quantities to the instrument's lot.
extension Decimal {
    public func rounded(scale: Int, mode: NSDecimalNumber.RoundingMode = .plain) -> Decimal {
        var source = self
        var result = Decimal()
        NSDecimalRound(&result, &source, scale, mode)
        return result
    }

    /// Money: two decimals, banker-neutral half-up.
    public var roundedToCents: Decimal { rounded(scale: 2, mode: .plain) }

    /// Largest multiple of `increment` not above `self` (for non-negative values).
    public func floored(toMultipleOf increment: Decimal) -> Decimal {
        guard increment > 0 else { return self }
        let steps = (self / increment).rounded(scale: 0, mode: .down)
        return steps * increment
    }

    public var doubleValue: Double { NSDecimalNumber(decimal: self).doubleValue }

    /// A Double converted through its shortest decimal text, so 0.1 stays 0.1 and not 0.1000000000000000055.
    public init(exactly double: Double, significantDigits: Int = 15) {
        let text = String(format: "%.\(significantDigits)g", double)
        self = Decimal(string: text) ?? Decimal(double)
    }
}

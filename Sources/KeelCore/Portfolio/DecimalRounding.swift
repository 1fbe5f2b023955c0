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

    /// A Double rounded to `significantDigits` significant decimal digits, so 0.1 stays 0.1 and not
    /// 0.1000000000000000055: the value `String(format: "%.15g")` prints. Integer arithmetic does it; the text
    /// path is kept for what integers cannot decide exactly (a digit within rounding error of a tie, extreme
    /// exponents, more than 15 digits).
    public init(exactly double: Double, significantDigits: Int = 15) {
        self = Self.scaledDecimal(double, significantDigits: significantDigits) ?? Self.textDecimal(double, significantDigits: significantDigits)
    }

    static func textDecimal(_ double: Double, significantDigits: Int) -> Decimal {
        Decimal(string: String(format: "%.\(significantDigits)g", double)) ?? Decimal(double)
    }

    /// Powers of ten a Double holds exactly.
    private static let exactPowersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

    static func scaledDecimal(_ double: Double, significantDigits: Int) -> Decimal? {
        guard double.isFinite, (1...15).contains(significantDigits) else { return nil }
        if double == 0 { return Decimal(0) }
        let magnitude = abs(double)
        var exponent = Int(log10(magnitude).rounded(.down))
        var scale = significantDigits - 1 - exponent
        guard abs(scale) <= 22 else { return nil }
        // x * 10^scale (or / 10^-scale) is correctly rounded: within half an ulp of the exact product.
        func scaled(_ scale: Int) -> Double {
            scale >= 0 ? magnitude * exactPowersOfTen[scale] : magnitude / exactPowersOfTen[-scale]
        }
        var product = scaled(scale)
        let upper = exactPowersOfTen[significantDigits]
        // log10 can be off by one near powers of ten: renormalise so the product has exactly the digits asked.
        if product >= upper { exponent += 1; scale -= 1; guard abs(scale) <= 22 else { return nil }; product = scaled(scale) }
        if product < upper / 10 { exponent -= 1; scale += 1; guard abs(scale) <= 22 else { return nil }; product = scaled(scale) }
        let fraction = product - product.rounded(.down)
        guard abs(fraction - 0.5) > product.ulp / 2 else { return nil }
        var digits = UInt64(product.rounded(.toNearestOrAwayFromZero))
        if Double(digits) >= upper { return nil }
        var power = -scale
        while digits != 0, digits % 10 == 0 { digits /= 10; power += 1 }
        return Decimal(sign: double < 0 ? .minus : .plus, exponent: power, significand: Decimal(digits))
    }
}

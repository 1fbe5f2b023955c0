import Foundation
@testable import KeelCore
import Testing

@Suite("Ledger rounding")
struct DecimalRoundingTests {
    @Test func centsAndLots() {
        #expect(Decimal(string: "10.005")!.roundedToCents == Decimal(string: "10.01"))
        #expect(Decimal(string: "0.1234569")!.floored(toMultipleOf: Decimal(string: "0.000001")!) == Decimal(string: "0.123456"))
        #expect(Decimal(string: "26.99")!.floored(toMultipleOf: 1) == 26)
        #expect(Decimal(exactly: 0.1) == Decimal(string: "0.1"))
    }

    @Test("the integer conversion of a Double gives the very Decimal its 15-digit text gives, on 200,000 values of every magnitude")
    func exactConversionMatchesTheText() {
        var generator = SeededGenerator(seed: 42)
        var integerPath = 0
        let special: [Double] = [0, -0.0, 1, -1, 0.1, 0.3, 1e15, 999_999_999_999_999, 1e-7, 123.456, 0.999_999_999_999_999_9, 9.999_999_999_999_995,
                                 Double.ulpOfOne, 1e22, 1e-22, 5e-324, .greatestFiniteMagnitude, 1_234_567.891_234_5]
        var values = special
        for _ in 0..<200_000 {
            let magnitude = pow(10, Double.random(in: -8...12, using: &generator))
            var value = Double.random(in: 0...1, using: &generator) * magnitude
            // Prices and quantities are often short decimals: make a quarter of them so.
            if Int.random(in: 0..<4, using: &generator) == 0 { value = (value * 100).rounded() / 100 }
            values.append(Bool.random(using: &generator) ? -value : value)
        }
        for value in values {
            let fast = Decimal.scaledDecimal(value, significantDigits: 15)
            if fast != nil { integerPath += 1 }
            let expected = Decimal.textDecimal(value, significantDigits: 15)
            let actual = Decimal(exactly: value)
            #expect(actual == expected && actual.description == expected.description, "\(value): \(actual) vs \(expected)")
            if actual != expected { return }
        }
        #expect(integerPath > values.count * 9 / 10, "prices, quantities and weights take the integer path: \(integerPath) of \(values.count)")
    }

    @Test func symbolsAreClassified() {
        #expect(AssetClass.inferred(fromSymbol: "BTC-USD") == .crypto)
        #expect(AssetClass.inferred(fromSymbol: "BTCUSDT") == .crypto)
        #expect(AssetClass.inferred(fromSymbol: "ETHUSD") == .crypto)
        #expect(AssetClass.inferred(fromSymbol: "AAPL") == .equity)
    }
}

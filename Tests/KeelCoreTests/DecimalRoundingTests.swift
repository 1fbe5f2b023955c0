import Foundation
import KeelCore
import Testing

@Suite("Ledger rounding")
struct DecimalRoundingTests {
    @Test func centsAndLots() {
        #expect(Decimal(string: "10.005")!.roundedToCents == Decimal(string: "10.01"))
        #expect(Decimal(string: "0.1234569")!.floored(toMultipleOf: Decimal(string: "0.000001")!) == Decimal(string: "0.123456"))
        #expect(Decimal(string: "26.99")!.floored(toMultipleOf: 1) == 26)
        #expect(Decimal(exactly: 0.1) == Decimal(string: "0.1"))
    }

    @Test func symbolsAreClassified() {
        #expect(AssetClass.inferred(fromSymbol: "BTC-USD") == .crypto)
        #expect(AssetClass.inferred(fromSymbol: "BTCUSDT") == .crypto)
        #expect(AssetClass.inferred(fromSymbol: "ETHUSD") == .crypto)
        #expect(AssetClass.inferred(fromSymbol: "AAPL") == .equity)
    }
}

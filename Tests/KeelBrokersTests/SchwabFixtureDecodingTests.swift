import Foundation
import KeelBrokers
import KeelCore
import Testing

/// Every recorded Schwab response in ../shared/reference/schwab-fixtures decodes with Keel's models.
@Suite("Schwab fixtures", .enabled(if: SchwabFixtures.runs, "Schwab fixtures not found at \(SchwabFixtures.root.path): put ../shared beside the repository"))
struct SchwabFixtureDecodingTests {
    func decode<T: Decodable>(_ type: T.Type, _ file: String) throws -> T {
        try SchwabJSON.decoder.decode(T.self, from: Data(contentsOf: SchwabFixtures.root.appendingPathComponent(file)))
    }

    @Test func accountNumbersAndAccounts() throws {
        let numbers = try decode([SchwabAccountNumber].self, "account_numbers.json")
        #expect(numbers.count == 2 && numbers[0].accountNumber == "12345678")
        let account = try decode(SchwabAccount.self, "account.json")
        #expect(account.securitiesAccount.type == "MARGIN")
        #expect(account.securitiesAccount.accountNumber.value == "11111111")
        #expect(account.securitiesAccount.positions?.count == 10)
        #expect(account.aggregatedBalance?.liquidationValue != nil)
        #expect(account.securitiesAccount.positions?.contains { $0.shortQuantity == 1 && $0.settledShortQuantity == -1 } == true)
    }

    @Test(arguments: ["orders.json", "orders_with_close.json", "orders_with_iron_condor.json"])
    func orders(file: String) throws {
        let orders = try decode([SchwabOrder].self, file)
        #expect(!orders.isEmpty)
        #expect(orders.allSatisfy { $0.orderId != nil && $0.accountNumber != nil && $0.enteredTime != nil })
        let statuses = Set(orders.map(\.status))
        #expect(statuses.isSubset(of: ["FILLED", "CANCELED", "REJECTED", "REPLACED", "PENDING_ACTIVATION", "WORKING"]))
        let filled = try #require(orders.first { $0.status == "FILLED" })
        #expect(!filled.executions.isEmpty)
    }

    @Test func firstOrderReadsExactly() throws {
        let order = try #require(try decode([SchwabOrder].self, "orders.json").first)
        #expect(order.orderId?.value == 1_002_613_435_352)
        #expect(order.accountNumber?.value == "11111111")
        #expect(order.price?.value == 1.2)
        #expect(order.enteredTime == SchwabJSON.parseDate("2025-01-17T17:19:49+0000"))
        #expect(order.orderLegCollection?.count == 2)
    }

    @Test func previewsTransactionsAndPreferences() throws {
        _ = try decode(SchwabPreviewOrder.self, "order_preview.json")
        let accepted = try decode(SchwabPreviewOrder.self, "orders/accepted_preview_order.json")
        let rejected = try decode(SchwabPreviewOrder.self, "orders/rejected_preview_order.json")
        #expect(accepted.orderValidationResult != nil && rejected.orderValidationResult != nil)
        let transactions = try decode([SchwabTransaction].self, "transactions.json")
        #expect(transactions.first?.orderId?.value == "1002613435352")
        #expect(transactions.first?.transferItems?.contains { $0.feeType != nil } == true)
        // The recorded trades are options: not lotted as shares.
        #expect(transactions.compactMap(SchwabBroker.historicalTrade).isEmpty)
        let single = try decode(SchwabTransaction.self, "transaction_single.json")
        #expect(single.tradeDate != nil)
        let preferences = try decode(SchwabUserPreference.self, "user_preferences.json")
        #expect(preferences.accounts.count == 2 && preferences.streamerInfo.count == 1)
    }

    @Test func marketData() throws {
        let history = try decode(SchwabCandleList.self, "price_history_daily.json")
        #expect(history.symbol == "SPY" && !history.candles.isEmpty)
        #expect(history.candles[0].datetime == 1_750_222_800_000, "daily candles at Chicago midnight")
        let nvda = try decode(SchwabQuotes.self, "quotes/NVDA_quote.json")
        #expect(nvda.quotes["NVDA"]?.quote?.lastPrice != nil)
        let spx = try decode(SchwabQuotes.self, "quotes/SPX_index_quote.json")
        #expect(spx.quotes.keys.contains("$SPX"))
        let all = try decode([String: [String: SchwabMarketHours]].self, "market_hours_all.json")
        #expect(all["equity"]?.values.first?.isOpen == false && all["equity"]?.values.first?.sessionHours == nil)
        let future = try decode([String: [String: SchwabMarketHours]].self, "market_hours_future_date.json")
        #expect(future["equity"]?["EQ"]?.sessionHours?["regularMarket"]?.isEmpty == false)
        _ = try decode([String: [String: SchwabMarketHours]].self, "market_hours_equity.json")
        _ = try decode(SchwabMovers.self, "movers_volume.json")
        _ = try decode(SchwabInstrument.self, "equity_instrument.json")
        _ = try decode(SchwabInstrument.self, "instrument.json")
    }

    @Test func everyFixtureFileIsCovered() throws {
        let covered: Set<String> = [
            "account_numbers.json", "account.json", "orders.json", "orders_with_close.json", "orders_with_iron_condor.json",
            "order_preview.json", "orders/accepted_preview_order.json", "orders/rejected_preview_order.json", "transactions.json",
            "transaction_single.json", "user_preferences.json", "price_history_daily.json", "quotes/NVDA_quote.json",
            "quotes/SPX_index_quote.json", "market_hours_all.json", "market_hours_future_date.json", "market_hours_equity.json",
            "movers_volume.json", "equity_instrument.json", "instrument.json",
        ]
        let files = (FileManager.default.enumerator(atPath: SchwabFixtures.root.path)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".json") }
        #expect(Set(files) == covered, "a fixture without a decoding test: \(Set(files).subtracting(covered))")
    }
}

enum SchwabFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/reference/schwab-fixtures")
    static var available: Bool { FileManager.default.fileExists(atPath: root.appendingPathComponent("account.json").path) }
    /// CI sets KEEL_REQUIRE_SHARED=1: the suite then runs (and fails) when the fixtures are missing.
    static var runs: Bool { available || ProcessInfo.processInfo.environment["KEEL_REQUIRE_SHARED"] == "1" }
}

extension SchwabFixtureDecodingTests {
    /// An equity trade with a fee item, as the sandbox and Schwab list it: one security item, fees summed, the sign of the
    /// amount is the side, the trade date the day.
    @Test func equityTradesBecomeHistoricalTrades() throws {
        let json = """
        [{"activityId": 7, "time": "2026-03-02T15:00:00+0000", "type": "TRADE", "status": "VALID", "tradeDate": "2026-03-02", "orderId": 11,
          "netAmount": 9999.95, "transferItems": [
            {"instrument": {"assetType": "EQUITY", "symbol": "SPY"}, "amount": -20, "cost": 10000, "price": 500, "positionEffect": "CLOSING"},
            {"instrument": {"assetType": "CURRENCY", "symbol": "CURRENCY_USD"}, "amount": 0.05, "cost": -0.05, "feeType": "SEC_FEE"}]},
         {"activityId": 8, "time": "2026-03-03T15:00:00+0000", "type": "TRADE", "status": "CANCELED", "orderId": 12,
          "transferItems": [{"instrument": {"assetType": "EQUITY", "symbol": "SPY"}, "amount": 5, "cost": -2500, "price": 500}]}]
        """
        let transactions = try SchwabJSON.decoder.decode([SchwabTransaction].self, from: Data(json.utf8))
        let trades = transactions.compactMap(SchwabBroker.historicalTrade)
        #expect(trades == [HistoricalTrade(tradeID: "7", orderID: "11", symbol: "SPY", side: .sell, quantity: 20, price: 500,
                                           fees: Decimal(string: "0.05")!, day: CivilDay(year: 2026, month: 3, day: 2))])
    }
}

import Foundation
import KeelCore

/// Schwab's response shapes, built as JSON objects so every quirk is explicit: account numbers as strings in
/// accounts but integers in orders, `+0000` dates, `aggregatedBalance`, epoch-ms candles.
enum SandboxRendering {
    static func date(_ date: Date) -> String {
        DateText.format(date, style: .compact)
    }

    static func json(_ object: Any) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed])) ?? Data("{}".utf8)
    }

    static func instrument(_ symbol: String) -> [String: Any] {
        let entry = ReferenceInstruments.entry(for: symbol)
        return ["assetType": "EQUITY", "cusip": cusip(symbol), "symbol": symbol, "description": entry?.instrument.name ?? symbol,
                "instrumentId": stableID(symbol), "netChange": 0.0]
    }

    /// A number derived from the symbol alone, the same in every run.
    static func stableID(_ symbol: String) -> Int {
        Int(symbol.unicodeScalars.reduce(UInt64(11)) { ($0 &* 131 &+ UInt64($1.value)) % 900_000_000 }) + 100_000_000
    }

    /// A deterministic 9-character stand-in CUSIP.
    static func cusip(_ symbol: String) -> String {
        let digits = symbol.unicodeScalars.reduce(UInt64(7)) { ($0 &* 31 &+ UInt64($1.value)) % 1_000_000_000 }
        return String(format: "%09llu", digits)
    }

    static func account(_ account: SandboxAccount, positions includePositions: Bool, prices: SandboxPriceFeed, now: Date) -> [String: Any] {
        var longValue = 0.0
        var positions: [[String: Any]] = []
        for (symbol, position) in account.positions.sorted(by: { $0.key < $1.key }) {
            let price = prices.price(symbol, at: now) ?? position.averagePrice
            let value = position.quantity * price
            longValue += value
            positions.append([
                "shortQuantity": 0.0, "averagePrice": position.averagePrice, "currentDayProfitLoss": 0.0, "currentDayProfitLossPercentage": 0.0,
                "longQuantity": position.quantity, "settledLongQuantity": position.quantity, "settledShortQuantity": 0.0,
                "instrument": instrument(symbol), "marketValue": (value * 100).rounded() / 100, "maintenanceRequirement": value * 0.25,
                "averageLongPrice": position.averagePrice, "taxLotAverageLongPrice": position.averagePrice,
                "longOpenProfitLoss": ((value - position.quantity * position.averagePrice) * 100).rounded() / 100,
                "previousSessionLongQuantity": position.quantity, "currentDayCost": 0.0,
            ])
        }
        let liquidation = ((account.cash + longValue) * 100).rounded() / 100
        let balances: [String: Any]
        if account.type == "MARGIN" {
            balances = ["cashBalance": account.cash, "liquidationValue": liquidation, "availableFunds": account.cash, "buyingPower": account.cash * 2,
                        "dayTradingBuyingPower": account.cash * 4, "equity": liquidation, "longMarketValue": longValue, "maintenanceRequirement": longValue * 0.25,
                        "shortOptionMarketValue": 0.0, "sma": account.cash]
        } else {
            balances = ["totalCash": account.cash, "cashAvailableForTrading": account.cash, "cashAvailableForWithdrawal": account.cash,
                        "liquidationValue": liquidation, "longMarketValue": longValue, "cashBalance": account.cash]
        }
        var securities: [String: Any] = [
            "type": account.type, "accountNumber": account.number, "roundTrips": 0, "isDayTrader": false, "isClosingOnlyRestricted": false,
            "pfcbFlag": false, "initialBalances": balances, "currentBalances": balances, "projectedBalances": balances,
        ]
        if includePositions { securities["positions"] = positions }
        return ["securitiesAccount": securities, "aggregatedBalance": ["currentLiquidationValue": liquidation, "liquidationValue": liquidation]]
    }

    static func order(_ order: SandboxOrder) -> [String: Any] {
        var object: [String: Any] = [
            "session": order.session, "duration": order.duration, "orderType": order.orderType, "complexOrderStrategyType": "NONE",
            "quantity": order.quantity, "filledQuantity": order.filled, "remainingQuantity": order.remaining,
            "requestedDestination": "AUTO", "destinationLinkName": "AutoRoute",
            "orderLegCollection": [[
                "orderLegType": "EQUITY", "legId": 1, "instrument": instrument(order.symbol), "instruction": order.instruction,
                "positionEffect": order.instruction == "BUY" ? "OPENING" : "CLOSING", "quantity": order.quantity,
            ] as [String: Any]],
            "orderStrategyType": "SINGLE", "orderId": order.id, "cancelable": order.isOpen, "editable": order.isOpen,
            "status": order.status, "enteredTime": date(order.enteredTime), "tag": "API_KEEL",
            "accountNumber": Int(order.accountNumber) ?? 0,
        ]
        if let price = order.limitPrice { object["price"] = price }
        if let description = order.statusDescription { object["statusDescription"] = description }
        if let close = order.closeTime { object["closeTime"] = date(close) }
        if !order.executions.isEmpty {
            var remaining = order.quantity
            object["orderActivityCollection"] = order.executions.map { execution -> [String: Any] in
                remaining -= execution.quantity
                return ["activityType": "EXECUTION", "activityId": execution.activityID, "executionType": "FILL", "quantity": execution.quantity,
                        "orderRemainingQuantity": remaining,
                        "executionLegs": [["legId": 1, "quantity": execution.quantity, "mismarkedQuantity": 0.0, "price": execution.price,
                                           "time": date(execution.time), "instrumentId": stableID(order.symbol)] as [String: Any]]]
            }
        }
        return object
    }

    static func transaction(_ transaction: SandboxTransaction) -> [String: Any] {
        let day = CivilDay(transaction.time)
        return ["activityId": transaction.activityID, "time": date(transaction.time), "type": "TRADE", "status": "VALID", "subAccount": "CASH",
                "tradeDate": date(day.date), "positionId": transaction.activityID % 100_000_000, "orderId": transaction.orderID,
                "netAmount": (transaction.netAmount * 100).rounded() / 100,
                "transferItems": [["instrument": instrument(transaction.symbol), "amount": transaction.quantity,
                                   "cost": -transaction.quantity * transaction.price, "price": transaction.price,
                                   "positionEffect": transaction.quantity > 0 ? "OPENING" : "CLOSING"] as [String: Any]]
                    + (transaction.fees > 0 ? [feeItem(transaction.fees)] : [])]
    }

    /// A fee as Schwab lists it: a currency item with the fee's type.
    static func feeItem(_ amount: Double) -> [String: Any] {
        ["instrument": ["assetType": "CURRENCY", "status": "ACTIVE", "symbol": "CURRENCY_USD", "description": "USD currency", "instrumentId": 1,
                        "closingPrice": 0] as [String: Any],
         "amount": amount, "cost": -amount, "feeType": "SEC_FEE"]
    }

    static func quote(_ symbol: String, prices: SandboxPriceFeed, now: Date) -> [String: Any]? {
        guard let last = prices.price(symbol, at: now), let bars = prices.dailyBars(symbol, through: now), let index = bars.lastIndex(onOrBefore: now) else { return nil }
        let previous = index > 0 ? bars.close[index - 1] : last
        let millis = Int64(now.timeIntervalSince1970 * 1000)
        let assetType = ReferenceInstruments.entry(for: symbol)?.instrument.assetClass == .etf ? "ETF" : "COE"
        let quote: [String: Any] = [
            "52WeekHigh": bars.high.suffix(252).max() ?? last, "52WeekLow": bars.low.suffix(252).min() ?? last,
            "askPrice": last + 0.01, "askSize": 100, "askTime": millis, "bidPrice": last - 0.01, "bidSize": 100, "bidTime": millis,
            "closePrice": previous, "highPrice": bars.high[index], "lowPrice": bars.low[index], "lastPrice": last, "lastSize": 100,
            "mark": last, "markChange": last - previous, "netChange": ((last - previous) * 100).rounded() / 100,
            "netPercentChange": previous > 0 ? (last / previous - 1) * 100 : 0, "openPrice": bars.open[index], "quoteTime": millis,
            "tradeTime": millis, "totalVolume": Int64(bars.volume[index]), "securityStatus": "Normal",
        ]
        return ["assetMainType": "EQUITY", "assetSubType": assetType, "quoteType": "NBBO", "realtime": true,
                "ssid": stableID(symbol), "symbol": symbol, "quote": quote,
                "reference": ["cusip": cusip(symbol), "description": ReferenceInstruments.entry(for: symbol)?.instrument.name ?? symbol,
                              "exchange": "Q", "exchangeName": "NASDAQ"],
                "regular": ["regularMarketLastPrice": last, "regularMarketLastSize": 100, "regularMarketNetChange": last - previous,
                            "regularMarketTradeTime": millis]]
    }

    static func marketHours(_ markets: [String], day: CivilDay) -> [String: Any] {
        var result: [String: Any] = [:]
        let session = SandboxMarketClock.session(on: day.date.addingTimeInterval(12 * 3600))
        for market in markets {
            let product = ["equity": "EQ", "option": "EQO", "bond": "BON", "future": "FUT", "forex": "FOREX"][market] ?? market.uppercased()
            guard let session else {
                result[market] = [market: ["date": day.description, "marketType": market.uppercased(), "product": market, "isOpen": false] as [String: Any]]
                continue
            }
            // New York wall time with its offset, as Schwab writes market hours.
            func newYork(_ date: Date) -> String { DateText.format(date, offset: SandboxMarketClock.newYork.secondsFromGMT(for: date), style: .colon) }
            let hours: [String: Any] = [
                "preMarket": [["start": newYork(session.open.addingTimeInterval(-5.5 * 3600)), "end": newYork(session.open)]],
                "regularMarket": [["start": newYork(session.open), "end": newYork(session.close)]],
                "postMarket": [["start": newYork(session.close), "end": newYork(session.close.addingTimeInterval(4 * 3600))]],
            ]
            result[market] = [product: ["date": day.description, "marketType": market.uppercased(), "exchange": "NULL", "category": "NULL",
                                        "product": product, "productName": market, "isOpen": true, "sessionHours": hours] as [String: Any]]
        }
        return result
    }
}

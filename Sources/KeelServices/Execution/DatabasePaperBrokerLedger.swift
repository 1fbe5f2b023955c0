import Foundation
import KeelBrokers
import KeelCore
import KeelStore

/// The paper broker's books in the database (tables paper_broker_*), written in the broker's own
/// transactions, apart from Keel's ledger, as an external broker's would be.
public struct DatabasePaperBrokerLedger: PaperBrokerLedger {
    let database: KeelDatabase

    public init(database: KeelDatabase) {
        self.database = database
    }

    public func openAccount(accountID: String, openingCash: Decimal, at time: Date) async throws {
        try await database.write { try await $0.paperBroker.openAccount(accountID: accountID, openingCash: openingCash, at: time) }
    }

    public func openingCash(accountID: String) async throws -> Decimal? {
        try await database.read { try await $0.paperBroker.openingCash(accountID: accountID) }
    }

    public func placeOrder(accountID: String, clientOrderKey: String,
                           decide: @escaping @Sendable (Decimal, [BrokerOrder]) -> BrokerOrder) async throws -> BrokerOrder? {
        try await database.write { session in
            // The paper account's row lock (PostgreSQL; the write gate on SQLite) makes read-decide-insert one step.
            guard let opening = try await session.paperBroker.lockAccount(accountID: accountID, in: session) else { return nil }
            if let existing = try await session.paperBroker.order(clientOrderKey: clientOrderKey) { return Self.order(existing) }
            let order = decide(opening, try await session.paperBroker.orders(accountID: accountID).map(Self.order))
            return Self.order(try await session.paperBroker.insert(try Self.row(order, accountID: accountID)))
        }
    }

    /// The whole set in one transaction: the accounts locked in id order, their orders read with one query, every
    /// order decided in memory, the new ones stored with one multi-row INSERT.
    public func placeOrders(_ keysByAccount: [(accountID: String, clientOrderKeys: [String])],
                            decide: @escaping @Sendable (String, Decimal, [BrokerOrder], String) -> BrokerOrder) async throws -> [String: BrokerOrder] {
        guard !keysByAccount.isEmpty else { return [:] }
        return try await database.write { session in
            let accountIDs = keysByAccount.map(\.accountID)
            let opening = try await session.paperBroker.lockAccounts(accountIDs: accountIDs, in: session)
            let stored = try await session.paperBroker.orders(accountIDs: accountIDs)
            var placed: [String: BrokerOrder] = [:], fresh: [PaperOrderRow] = []
            for (accountID, keys) in keysByAccount {
                guard let cash = opening[accountID] else { continue }
                var books = (stored[accountID] ?? []).map(Self.order)
                for key in keys {
                    if let existing = books.first(where: { $0.clientOrderKey == key }) {
                        placed[key] = existing
                        continue
                    }
                    let order = decide(accountID, cash, books, key)
                    books.append(order)
                    fresh.append(try Self.row(order, accountID: accountID))
                    placed[key] = order
                }
            }
            // A key stored by another account's order (keys are unique across the broker) makes the INSERT fail and the
            // whole set roll back: nothing is placed, and the caller treats every order as of unknown fate.
            try await session.paperBroker.insert(fresh)
            return placed
        }
    }

    public func updateOrders(accountID: String, change: @escaping @Sendable (Decimal, [BrokerOrder]) -> [BrokerOrder]) async throws {
        try await database.write { session in
            guard let opening = try await session.paperBroker.lockAccount(accountID: accountID, in: session) else { return }
            for changed in change(opening, try await session.paperBroker.orders(accountID: accountID).map(Self.order)) {
                var row = try Self.row(changed, accountID: accountID)
                row.updatedAt = changed.fills.last?.time ?? changed.createdAt
                try await session.paperBroker.update(row)
            }
        }
    }

    /// Fills are kept as JSON with exact times (seconds since 1970): the next fill waits for a newer bar than the last.
    static let fillEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static let fillDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()

    /// The stored form of an order (public for tools that seed paper books, e.g. the cycle benchmark).
    public static func row(_ order: BrokerOrder, accountID: String) throws -> PaperOrderRow {
        var row = PaperOrderRow(brokerOrderID: order.brokerOrderID, accountID: accountID, clientOrderKey: order.clientOrderKey,
                                symbol: order.symbol, side: order.side, quantity: order.quantity, status: order.status.rawValue,
                                rejectReason: order.rejectReason, fillID: nil, fillPrice: nil, fillQuantity: nil,
                                commission: order.fills.reduce(Decimal(0)) { $0 + $1.commission }, createdAt: order.createdAt)
        row.orderType = (order.orderType ?? .market).rawValue
        row.limitPrice = order.limitPrice
        row.fills = String(decoding: try fillEncoder.encode(order.fills), as: UTF8.self)
        row.updatedAt = order.createdAt
        return row
    }

    public func order(accountID: String, clientOrderKey: String) async throws -> BrokerOrder? {
        guard let row = try await database.read({ try await $0.paperBroker.order(clientOrderKey: clientOrderKey) }),
              row.accountID == accountID else { return nil }
        return Self.order(row)
    }

    public func orders(accountID: String) async throws -> [BrokerOrder] {
        try await database.read { try await $0.paperBroker.orders(accountID: accountID) }.map(Self.order)
    }

    static func order(_ row: PaperOrderRow) -> BrokerOrder {
        var fills: [BrokerFill] = []
        if let stored = row.fills, let decoded = try? fillDecoder.decode([BrokerFill].self, from: Data(stored.utf8)) {
            fills = decoded
        } else if let fillID = row.fillID, let price = row.fillPrice, let quantity = row.fillQuantity {
            fills.append(BrokerFill(fillID: fillID, clientOrderKey: row.clientOrderKey, symbol: row.symbol, side: row.side,
                                    quantity: quantity, price: price, commission: row.commission, time: row.createdAt))
        }
        return BrokerOrder(brokerOrderID: row.brokerOrderID, clientOrderKey: row.clientOrderKey, symbol: row.symbol, side: row.side,
                           quantity: row.quantity, status: BrokerOrderStatus(rawValue: row.status) ?? .rejected, fills: fills,
                           rejectReason: row.rejectReason, createdAt: row.createdAt,
                           orderType: row.orderType.flatMap(BrokerOrderRequest.OrderType.init(rawValue:)), limitPrice: row.limitPrice)
    }
}

import Foundation
import KeelCore
import KeelStore

/// Keeps each account's tax lots in step with its fills, in the same transaction as the fills themselves (under the
/// accounts' locks): buys open lots, sells realise them by the client's lot method (FIFO unless set), wash sales move losses onto replacement shares. A sale
/// of shares the lots do not hold (a position that predates the ledger or came from elsewhere) realises them with
/// an unknown basis rather than refusing the fill: the money path never waits on the tax books.
enum TaxLedger {
    /// Posts `fills` (any accounts; each account's in the order they were posted) to their accounts' lots.
    static func post(_ fills: [FillRecord], clientIDs: [String: Int], session: Session) async throws {
        guard !fills.isEmpty else { return }
        let identical = try await session.taxLots.identicalGroups()
        let preferences = try await session.taxPreferences.find(clientIDs: Array(Set(clientIDs.values)))
        let methods = preferences.mapValues(\.lotMethod)
        // A sale whose lots the tax rules chose (a harvest's loss lots, recent shares first to avoid a wash) sells those,
        // not the client's method's: looked up for every sale, since the client may have changed the preferences
        // after the plan.
        let saleOrders = fills.filter { $0.side == .sell }.map(\.orderID)
        let chosenLots = try await lotInstructions(saleOrderIDs: saleOrders, session: session)
        let byAccount = Dictionary(grouping: fills, by: \.accountHash)
        let hashes = byAccount.keys.sorted()
        let earliest = fills.map { CivilDay($0.filledAt) }.min() ?? CivilDay(Date())
        let lots = try await session.taxLots.lots(accountHashes: hashes)
        let losses = try await session.taxLots.openLosses(accountHashes: hashes, since: earliest.adding(days: -TaxLotBook.washWindowDays))
        var writes: [TaxLotRepository.Write] = []
        for hash in hashes {
            guard let clientID = clientIDs[hash] else { continue }
            var book = TaxLotBook(lots: lots[hash] ?? [], realized: losses[hash] ?? [], identical: identical)
            let before = book
            // In the order they were posted (a batch's sales before its purchases), which is the order they happened.
            for fill in byAccount[hash] ?? [] {
                try apply(fill, to: &book, method: method(for: fill, chosenLots: chosenLots, clientMethod: methods[clientID]))
            }
            writes.append(difference(book, from: before, accountHash: hash, clientID: clientID))
        }
        try await session.taxLots.save(writes)
    }

    /// The lots the tax rules chose for these sale orders: the order's own instructions, else its harvest's (a harvest
    /// planned before orders carried them). Two statements for any number of orders.
    static func lotInstructions(saleOrderIDs: [String], session: Session) async throws -> [String: [String]] {
        let ids = Array(Set(saleOrderIDs)).sorted()
        guard !ids.isEmpty else { return [:] }
        let harvests = try await session.taxHarvests.lotInstructions(saleOrderIDs: ids)
        return harvests.merging(try await session.batches.lotInstructions(orderIDs: ids)) { _, order in order }
    }

    /// How a fill's sale picks its lots: the lots the tax rules chose for its order (`lotInstructions`), else the
    /// client's method (FIFO unless set).
    static func method(for fill: FillRecord, chosenLots: [String: [String]], clientMethod: LotMethod?) -> LotMethod {
        chosenLots[fill.orderID].map(LotMethod.specific) ?? clientMethod ?? .fifo
    }

    /// One fill on the book: a buy opens a lot named by the fill; a sell consumes lots by `method` (the client's, or a
    /// harvest's chosen lots), with any shares the lots lack realised at an unknown basis.
    static func apply(_ fill: FillRecord, to book: inout TaxLotBook, method: LotMethod = .fifo) throws {
        let day = CivilDay(fill.filledAt)
        switch fill.side {
        case .buy:
            try book.buy(lotID: fill.fillID, symbol: fill.symbol, quantity: fill.quantity, price: fill.price, fees: fill.commission, on: day)
        case .sell:
            try sell(saleID: fill.fillID, symbol: fill.symbol, quantity: fill.quantity, price: fill.price, fees: fill.commission, on: day,
                     from: &book, method: method)
        }
    }

    /// A sale on the book by `method`; shares the lots lack are realised at an unknown basis (a lot named after the sale).
    static func sell(saleID: String, symbol: String, quantity: Decimal, price: Decimal, fees: Decimal, on day: CivilDay,
                     from book: inout TaxLotBook, method: LotMethod) throws {
        let missing = quantity - book.held(symbol)
        if missing > 0 {
            try book.buy(lotID: "unknown-\(saleID)", symbol: symbol, quantity: missing, price: 0, fees: 0, on: day, basisKnown: false)
        }
        try book.sell(saleID: saleID, symbol: symbol, quantity: quantity, price: price, fees: fees, on: day, method: method)
    }

    /// What changed between two states of one account's book.
    static func difference(_ book: TaxLotBook, from before: TaxLotBook, accountHash: String, clientID: Int) -> TaxLotRepository.Write {
        let previous = Dictionary(before.lots.map { ($0.lotID, $0) }, uniquingKeysWith: { first, _ in first })
        let earlier = Dictionary(before.realized.map { ($0.realizedID, $0) }, uniquingKeysWith: { first, _ in first })
        return TaxLotRepository.Write(accountHash: accountHash, clientID: clientID, lots: book.lots.filter { previous[$0.lotID] != $0 },
                                      closedLotIDs: Array(Set(previous.keys).subtracting(book.lots.map(\.lotID))),
                                      realized: book.realized.filter { earlier[$0.realizedID] != $0 })
    }

    /// Accounts whose fills predate the lot ledger: their lots are rebuilt by replaying every fill, oldest first.
    static func backfill(session: Session) async throws -> Int {
        let candidates = try await session.taxLots.accountsWithoutLots()
        guard !candidates.isEmpty else { return 0 }
        // Under the accounts' locks, as every posting: another process's fill cannot post lots while these are
        // rebuilt; an account that got lots meanwhile is left as it is.
        let accounts = try await session.accounts.lock(hashes: candidates, in: session)
        let hashes = Set(try await session.taxLots.accountsWithoutLots()).intersection(candidates).sorted()
        guard !hashes.isEmpty else { return 0 }
        let identical = try await session.taxLots.identicalGroups()
        let methods = try await session.taxPreferences.find(clientIDs: Array(Set(accounts.values.map(\.clientID)))).mapValues(\.lotMethod)
        var writes: [TaxLotRepository.Write] = []
        for hash in hashes {
            guard let account = accounts[hash] else { continue }
            var book = TaxLotBook(identical: identical)
            let fills = replayOrder(try await session.ledger.fills(accountHash: hash))
            let chosenLots = try await lotInstructions(saleOrderIDs: fills.filter { $0.side == .sell }.map(\.orderID), session: session)
            for fill in fills {
                try apply(fill, to: &book, method: method(for: fill, chosenLots: chosenLots, clientMethod: methods[account.clientID]))
            }
            writes.append(difference(book, from: TaxLotBook(identical: identical), accountHash: hash, clientID: account.clientID))
        }
        try await session.taxLots.save(writes)
        return hashes.count
    }

    /// Fills in the order they were posted, as far as the stored fills tell: by time; within one instant, the sales
    /// the holdings already cover, then the purchases, then the other sales (a batch sells before it buys, and a
    /// later batch's sale of what an earlier one bought at the same instant comes after that purchase).
    static func replayOrder(_ fills: [FillRecord]) -> [FillRecord] {
        var ordered: [FillRecord] = []
        var held: [String: Decimal] = [:]
        let instants = Dictionary(grouping: fills, by: \.filledAt)
        for instant in instants.keys.sorted() {
            let group = (instants[instant] ?? []).sorted { $0.fillID < $1.fillID }
            var covered: [FillRecord] = [], waiting: [FillRecord] = []
            for sale in group where sale.side == .sell {
                if (held[sale.symbol] ?? 0) >= sale.quantity {
                    held[sale.symbol, default: 0] -= sale.quantity
                    covered.append(sale)
                } else {
                    waiting.append(sale)
                }
            }
            let buys = group.filter { $0.side == .buy }
            for buy in buys { held[buy.symbol, default: 0] += buy.quantity }
            for sale in waiting { held[sale.symbol, default: 0] -= sale.quantity }
            ordered += covered + buys + waiting
        }
        return ordered
    }

    /// A symbol whose lots and position disagree.
    struct Mismatch: Sendable, Hashable {
        var accountHash: String
        var symbol: String
        var lots: Decimal
        var position: Decimal
    }

    /// Compares the lots with the positions of the accounts (what reconciliation checks): every held share in a lot,
    /// no lot without a position.
    static func mismatches(accountHashes: [String], session: Session) async throws -> [Mismatch] {
        let lots = try await session.taxLots.heldQuantities(accountHashes: accountHashes)
        let positions = try await session.ledger.positions(accountHashes: accountHashes)
        var found: [Mismatch] = []
        for hash in accountHashes {
            var held: [String: Decimal] = [:]
            for position in positions[hash] ?? [] { held[position.symbol, default: 0] += position.quantity }
            for symbol in Set(held.keys).union(lots[hash]?.keys ?? [:].keys).sorted() {
                let inLots = lots[hash]?[symbol] ?? 0, inPosition = held[symbol] ?? 0
                if inLots != inPosition { found.append(Mismatch(accountHash: hash, symbol: symbol, lots: inLots, position: inPosition)) }
            }
        }
        return found
    }

    /// Brings the lots in line with the positions where the positions hold more (an opening position of a linked
    /// account, or shares Keel did not buy): a lot of the difference, at the position's average cost when the broker
    /// gave one (else an unknown basis), held since the position was opened. Under the accounts' locks. Returns the
    /// differences left (lots holding more than the positions: shares that left outside Keel's fills).
    static func reconcile(accountHashes: [String], session: Session, now: Date) async throws -> [Mismatch] {
        guard !accountHashes.isEmpty else { return [] }
        // Found without locks; only the accounts that need a lot are locked, and looked at again under the lock.
        let found = try await mismatches(accountHashes: accountHashes, session: session)
        let short = Set(found.filter { $0.position > $0.lots }.map(\.accountHash))
        let others = found.filter { !short.contains($0.accountHash) }
        guard !short.isEmpty else { return others }
        let locked = short.sorted()
        let accounts = try await session.accounts.lock(hashes: locked, in: session)
        let positions = try await session.ledger.positions(accountHashes: locked)
        var remaining = others
        var writes: [TaxLotRepository.Write] = []
        for mismatch in try await mismatches(accountHashes: locked, session: session) {
            guard mismatch.position > mismatch.lots, let account = accounts[mismatch.accountHash],
                  let position = positions[mismatch.accountHash]?.first(where: { $0.symbol == mismatch.symbol }) else {
                remaining.append(mismatch)
                continue
            }
            let missing = mismatch.position - mismatch.lots
            let known = position.averageCost > 0
            let lot = TaxLot(lotID: "opening-\(mismatch.accountHash)-\(mismatch.symbol)-\(Int(now.timeIntervalSince1970))", symbol: mismatch.symbol,
                             acquiredOn: CivilDay(position.openedAt), quantity: missing, costBasis: known ? missing * position.averageCost : 0, basisKnown: known)
            writes.append(TaxLotRepository.Write(accountHash: mismatch.accountHash, clientID: account.clientID, lots: [lot], closedLotIDs: [], realized: []))
        }
        try await session.taxLots.save(writes)
        return remaining
    }

    /// The accounts that hold positions or lots.
    static func accountsWithHoldings(session: Session) async throws -> [String] {
        try await session.taxLots.accountsWithLotsOrPositions()
    }
}

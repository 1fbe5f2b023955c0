import Foundation
import KeelCore
import KeelServices
@_spi(RawSQL) import KeelStore
import KeelTestSupport
import Testing
import Vapor

/// Tax-loss harvesting through the daily cycle: a name the strategy keeps, whose newer lot stands at a loss, has
/// exactly that lot sold into its substitute (the older gain lot stays, though FIFO would sell it first); the harvest
/// is recorded with its realised loss; a month later the substitute is sold back.
@Suite("Tax-loss harvesting in the cycle")
struct HarvestingCycleTests {
    static func lots(_ app: KeelTestApp, _ scenario: TradingScenario) async throws -> [TaxLot] {
        try await app.services.tax.lots(accountHash: scenario.accountHash, by: Principal(userID: "admin", role: .admin, clientID: nil))
    }

    static func held(_ app: KeelTestApp, _ scenario: TradingScenario) async throws -> [String: Decimal] {
        let rows = try await app.database.read { try await $0.ledger.positions(accountHash: scenario.accountHash) }
        return Dictionary(rows.map { ($0.symbol, $0.quantity) }, uniquingKeysWith: +)
    }

    @Test("the cycle harvests a loss lot into its substitute and swaps it back after 31 days; the lots stay equal to the positions",
          arguments: TestDatabase.available)
    func harvestsAndSwapsBack(database: TestDatabase) async throws {
        var settings = ServiceSettings()
        settings.cycle.dataSource = .simulator(seed: TestFixtures.marketSeed, historyDays: 500)
        try await KeelTestApp.run(on: database, settings: settings) { app in
            let scenario = try await AutonomousTradingTests.client(app, autoApprove: true)
            var token = try await app.login()
            let first = try await AutonomousTradingTests.cycle(app, token: token)
            let firstBatch = try #require(AutonomousTradingTests.account(first, scenario.accountHash)?.string("batch_id"), "\(first)")
            let targets = try #require(try await app.request(.GET, "/api/rl/trading/batches/\(firstBatch)", token: token).object["target_weights"]
                as? [String: Double])
            let positions = try await Self.held(app, scenario)
            // The name the strategy wants most (it keeps it the next day), in whole shares of at least four.
            let symbol = try #require(positions.filter { $0.value >= 4 && $0.value == $0.value.rounded(scale: 0) && (targets[$0.key] ?? 0) > 0 }
                .max { (targets[$0.key] ?? 0, $1.key) < (targets[$1.key] ?? 0, $0.key) }?.key, "\(positions) \(targets)")
            // Its substitute: a priced name the account neither holds nor targets.
            let priced = try await app.database.read { session in
                try await session.sql.raw("SELECT DISTINCT symbol FROM market_bars").all().map { try $0.decode(column: "symbol", as: String.self) }
            }
            let substitute = try #require(priced.filter { positions[$0] == nil && targets[$0] == nil && $0 != "SPY" && !$0.contains("-") }.sorted().first)

            // The lot bought yesterday now stands at a loss (its basis doubled), and an older lot of half the shares is
            // a long-term gain: FIFO would sell the old lot first.
            let lot = try #require(try await Self.lots(app, scenario).first { $0.symbol == symbol })
            let half = (lot.quantity / 2).rounded(scale: 0, mode: .down)
            let oldDay = CivilDay(app.clock.now()).adding(days: -400).description
            try await app.database.write { session in
                try await session.sql.raw("""
                    UPDATE tax_lots SET quantity = quantity - \(bind: half), cost_basis = (cost_basis * 2) * (quantity - \(bind: half)) / quantity
                    WHERE lot_id = \(bind: lot.lotID)
                    """).run()
                try await session.sql.raw("""
                    INSERT INTO tax_lots (lot_id, account_hash, symbol, acquired_on, held_since, quantity, cost_basis, basis_known, replacement_shares,
                                          wash_adjustment, opened_by)
                    VALUES ('old-gain-lot', \(bind: scenario.accountHash), \(bind: symbol), \(bind: oldDay), \(bind: oldDay), \(bind: half), \(bind: half),
                            \(bind: true), \(bind: Decimal(0)), \(bind: Decimal(0)), 'test')
                    """).run()
            }
            #expect(try await app.request(.PUT, "/api/tax/substitutes", token: token, json: ["substitutes": [symbol: substitute]]).status == .ok)
            let preferences = try await app.request(.PUT, "/api/clients/\(scenario.clientID)/tax/preferences", token: token,
                                                    json: ["harvest": true, "harvest_minimum_loss": 1, "harvest_minimum_loss_percent": 0.01])
            #expect(preferences.status == .ok, "\(preferences)")

            app.clock.advance(by: 86_400)
            token = try await app.login()
            let second = try await AutonomousTradingTests.cycle(app, token: token)
            let year = CivilDay(app.clock.now()).components.year
            let report = try await app.request(.GET, "/api/clients/\(scenario.clientID)/tax/harvests?year=\(year)", token: token)
            #expect(report.status == .ok, "\(report)")
            let harvest = try #require(report.object.objects("harvests").first, "\(report) \(second)")
            #expect(report.object.objects("harvests").count == 1)
            #expect(harvest.string("symbol") == symbol && harvest.string("substitute") == substitute && harvest.string("batch_status") == "executed", "\(harvest)")
            #expect(harvest["lot_ids"] as? [String] == [lot.lotID])
            #expect(((harvest["realized_loss"] as? NSNumber)?.doubleValue ?? 0) < 0, "\(harvest)")
            #expect(((report.object["harvested_loss"] as? NSNumber)?.doubleValue ?? 0) < 0)
            let afterHarvest = try await Self.lots(app, scenario)
            #expect(afterHarvest.first { $0.lotID == "old-gain-lot" }?.quantity == half, "the gain lot is kept: \(afterHarvest.filter { $0.symbol == symbol })")
            #expect(!afterHarvest.contains { $0.lotID == lot.lotID }, "the loss lot is sold")
            #expect(afterHarvest.contains { $0.symbol == substitute && $0.quantity > 0 }, "the substitute is bought")
            let realized = try await app.request(.GET, "/api/clients/\(scenario.clientID)/tax/realized?year=\(year)", token: token).object.objects("lots")
            #expect(realized.filter { $0.string("symbol") == symbol }.allSatisfy { $0.string("lot_id") == lot.lotID }, "\(realized)")
            #expect(try await app.services.tax.mismatches(accountHashes: [scenario.accountHash]).isEmpty, "the lots equal the positions")
            let cookie = try #require(try await WorkspaceSessionTests.signIn(app).session)
            let page = try await app.browse(.GET, "/app/clients/\(scenario.clientID)", cookies: ["keel_session": cookie])
            #expect(page.body.contains("Tax-loss harvesting") && page.body.contains("on: 1 harvest(s) this year"), "\(page.body.suffix(3000))")

            // Before 31 days nothing goes back: a cycle ten days on keeps the substitute.
            app.clock.advance(by: 10 * 86_400)
            token = try await app.login()
            let middle = try await AutonomousTradingTests.cycle(app, token: token)
            let kept = try #require(AutonomousTradingTests.account(middle, scenario.accountHash)?.string("batch_id"))
            let keptNotes = try await app.request(.GET, "/api/rl/trading/batches/\(kept)", token: token).object
            #expect(((keptNotes["tax"] as? [String: Any])?["adjustments"] as? [String: String])?[symbol]?.contains("stands in for it") == true, "\(keptNotes)")
            #expect((try await Self.held(app, scenario))[substitute] ?? 0 > 0, "the substitute is held while the wash-sale window is open")

            // 34 days after the harvest (a Monday), selling the substitute costs no tax (its lots at a loss): it is swapped back.
            app.clock.advance(by: 24 * 86_400)
            token = try await app.login()
            try await app.database.write { session in
                try await session.sql.raw("UPDATE tax_lots SET cost_basis = cost_basis * 2 WHERE account_hash = \(bind: scenario.accountHash) AND symbol = \(bind: substitute)").run()
            }
            let third = try await AutonomousTradingTests.cycle(app, token: token)
            let after = try await app.request(.GET, "/api/clients/\(scenario.clientID)/tax/harvests?year=\(year)", token: token).object.objects("harvests")
            #expect(after.first?.string("swap_back_status") == "executed", "\(after) \(third)")
            #expect((try await Self.held(app, scenario))[substitute] == nil, "the substitute is sold back")
            let realizedAfter = try await app.request(.GET, "/api/clients/\(scenario.clientID)/tax/realized?year=\(year)", token: token).object.objects("lots")
            #expect(realizedAfter.allSatisfy { ($0["wash_sale_disallowed"] as? NSNumber)?.doubleValue ?? 0 == 0 }, "no wash sale: \(realizedAfter)")
            #expect(try await app.services.tax.mismatches(accountHashes: [scenario.accountHash]).isEmpty)

            // Bad substitute lists are refused naming the pair.
            #expect(try await app.request(.PUT, "/api/tax/substitutes", token: token, json: ["substitutes": ["VOO": "VOO"]]).errorField == "substitutes.VOO")
            #expect(try await app.request(.PUT, "/api/tax/identical-groups", token: token, json: ["groups": [["VOO", "IVV"]]]).status == .ok)
            #expect(try await app.request(.PUT, "/api/tax/substitutes", token: token, json: ["substitutes": ["VOO": "IVV"]]).errorField == "substitutes.VOO")
            #expect(try await app.request(.PUT, "/api/tax/substitutes", token: token, json: [:]).errorField == "substitutes")
        }
    }

    @Test("a harvest's sale sells its chosen lots even when the client turned harvesting off after it was planned",
          arguments: TestDatabase.available)
    func chosenLotsOutliveThePreference(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            #expect(try await scenario.execute(app, batchID: try await scenario.approvedBatch(app), dryRun: false).status == .ok)
            // Fewer names: the plan sells some; one of its sales becomes a harvest of its newest lot.
            let plan = try await scenario.rebalance(app, requireApproval: true, maxPositions: 3)
            let batchID = try #require(plan.object.string("batch_id"), "\(plan)")
            let lots = try await Self.lots(app, scenario)
            let sale = try #require(plan.object.objects("orders").first { order in
                order.string("side") == "sell" && lots.contains { $0.symbol == order.string("symbol") && $0.quantity >= 2 && $0.quantity == $0.quantity.rounded(scale: 0) }
            }, "\(plan)")
            let symbol = try #require(sale.string("symbol")), orderID = try #require(sale.string("order_id"))
            let lot = try #require(lots.first { $0.symbol == symbol })
            // An older lot of one share: FIFO would sell it first.
            let oldDay = CivilDay(app.clock.now()).adding(days: -400).description
            try await app.database.write { session in
                try await session.sql.raw("""
                    UPDATE tax_lots SET quantity = quantity - 1, cost_basis = cost_basis * (quantity - 1) / quantity WHERE lot_id = \(bind: lot.lotID)
                    """).run()
                try await session.sql.raw("""
                    INSERT INTO tax_lots (lot_id, account_hash, symbol, acquired_on, held_since, quantity, cost_basis, basis_known, replacement_shares,
                                          wash_adjustment, opened_by)
                    VALUES ('old-lot', \(bind: scenario.accountHash), \(bind: symbol), \(bind: oldDay), \(bind: oldDay), \(bind: Decimal(1)), \(bind: Decimal(1)),
                            \(bind: true), \(bind: Decimal(0)), \(bind: Decimal(0)), 'test')
                    """).run()
                try await session.taxHarvests.insert([TaxHarvestRecord(
                    harvestID: "h-1", clientID: scenario.clientID, accountHash: scenario.accountHash, batchID: batchID, saleOrderID: orderID, symbol: symbol,
                    substitute: "VTI", lotIDs: [lot.lotID], quantity: lot.quantity - 1, estimatedLoss: -1, estimatedTaxSaved: 0,
                    harvestedOn: CivilDay(app.clock.now()))])
            }
            // The client does not harvest (the default); the sale still realises the chosen lot first.
            #expect(try await app.request(.POST, "/api/rl/trading/batches/\(batchID)/approve", token: scenario.token).status == .ok)
            #expect(try await scenario.execute(app, batchID: batchID, dryRun: false).status == .ok)
            let year = CivilDay(app.clock.now()).components.year
            let realized = try await app.request(.GET, "/api/clients/\(scenario.clientID)/tax/realized?year=\(year)", token: scenario.token).object
                .objects("lots").filter { $0.string("symbol") == symbol }.sorted { ($0.string("realized_id") ?? "") < ($1.string("realized_id") ?? "") }
            #expect(realized.first?.string("lot_id") == lot.lotID, "\(realized)")
            #expect(realized.contains { $0.string("lot_id") == "old-lot" }, "the rest of the sale by FIFO: \(realized)")
        }
    }
}

import Foundation
import KeelCore
import KeelStore

/// Round-trip trades recorded by users' strategies (beside the ones Keel's own executions write), and the
/// goal progress they move. A trade and the re-measurement of the goals it touches commit together, with
/// each goal row locked, so concurrent trades from several strategies never lose an update.
public struct TradeService: Sendable {
    let context: ServiceContext
    let webhooks: WebhookDispatcher?

    public init(context: ServiceContext, webhooks: WebhookDispatcher?) {
        self.context = context
        self.webhooks = webhooks
    }

    public func record(_ input: TradeInput, by principal: Principal) async throws -> TradeRecord {
        let userID = try FieldValidation.requiredText(input.userID ?? (principal.role.isStaff ? nil : principal.userID), field: "user_id")
        if !principal.role.isStaff, userID != principal.userID { throw ServiceError.forbidden }
        let symbol = try FieldValidation.symbol(input.symbol)
        let sideText = try FieldValidation.requiredText(input.side, field: "side").uppercased()
        guard let side = TradeSide(rawValue: sideText) else { throw ServiceError.invalid("side", "side must be LONG or SHORT") }
        let quantity = try Self.quantity(input.quantity, symbol: symbol)
        let entryPrice = try Self.price(input.entryPrice, field: "entry_price")
        let exitPrice = try input.exitPrice.map { try Self.price($0, field: "exit_price") }
        let fees = try Self.fees(input.fees)
        let now = context.clock.now()
        let entryTime = try GoalFieldRules.date(input.entryTime, field: "entry_time") ?? now
        let exitTime = exitPrice == nil ? nil : (try GoalFieldRules.date(input.exitTime, field: "exit_time") ?? now)
        guard entryTime <= now.addingTimeInterval(60) else { throw ServiceError.invalid("entry_time", "entry_time may not be in the future") }
        if let exitTime, exitTime < entryTime { throw ServiceError.invalid("exit_time", "exit_time must not be before entry_time") }
        let settings = context.settings

        let trade = try await context.database.write { session in
            if let strategyID = input.strategyID {
                guard let instance = try await session.strategyInstances.find(strategyID), instance.userID == userID else {
                    throw ServiceError.invalid("strategy_id", "strategy_id \(strategyID) is not a strategy instance of user \(userID)")
                }
            }
            var clientID = input.clientID
            if let accountHash = input.accountHash {
                guard let account = try await session.accounts.find(hash: accountHash) else { throw ServiceError.notFound("account \(accountHash)", field: "account_hash") }
                if let clientID, clientID != account.clientID { throw ServiceError.invalid("account_hash", "account \(accountHash) does not belong to client \(clientID)") }
                clientID = account.clientID
            }
            if let clientID {
                guard try await session.clients.find(clientID) != nil else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
                try principal.ensureAccess(toClient: clientID)
            }
            var trade = TradeRecord(tradeID: UUID().uuidString.lowercased(), userID: userID, strategyID: input.strategyID, clientID: clientID,
                                    accountHash: input.accountHash, symbol: symbol, side: side.rawValue, quantity: quantity, entryPrice: entryPrice,
                                    fees: fees, status: .open, entryTime: entryTime, entryOrderID: nil)
            if let exitPrice, let exitTime { Self.close(&trade, exitPrice: exitPrice, fees: 0, at: exitTime) }
            try await session.ledger.saveTrade(trade)
            try await session.audit("trade.record", actor: principal.userID, entityType: "trade", entityID: trade.tradeID, clientID: clientID, at: now,
                                    details: ["symbol": symbol, "side": side.rawValue, "quantity": "\(quantity)", "status": trade.status.rawValue])
            try await Self.reevaluateGoals(of: trade, trigger: trade.status == .closed ? "trade_closed" : "trade_recorded", settings: settings, session: session, now: now)
            return trade
        }
        await webhooks?.kick()
        return trade
    }

    public func close(_ tradeID: String, exitPrice: Decimal?, fees: Decimal?, exitTime: String?, by principal: Principal) async throws -> TradeRecord {
        let price = try Self.price(exitPrice, field: "exit_price")
        let extraFees = try Self.fees(fees)
        let now = context.clock.now()
        let at = try GoalFieldRules.date(exitTime, field: "exit_time") ?? now
        let settings = context.settings
        let trade = try await context.database.write { session in
            guard var trade = try await session.ledger.trade(tradeID) else { throw ServiceError.notFound("trade \(tradeID)", field: "trade_id") }
            try Self.ensureAccess(trade, principal)
            guard trade.status == .open else { throw ServiceError.conflict("trade_closed", "trade \(tradeID) is already closed") }
            guard trade.entryOrderID == nil else {
                throw ServiceError.conflict("ledger_trade", "trade \(tradeID) belongs to Keel's books; it closes when its position is sold")
            }
            guard at >= trade.entryTime else { throw ServiceError.invalid("exit_time", "exit_time must not be before the entry time") }
            Self.close(&trade, exitPrice: price, fees: extraFees, at: at)
            try await session.ledger.saveTrade(trade)
            try await session.audit("trade.close", actor: principal.userID, entityType: "trade", entityID: tradeID, clientID: trade.clientID, at: now,
                                    details: ["exit_price": "\(price)", "profit_loss": "\(trade.profitLoss ?? 0)"])
            try await Self.reevaluateGoals(of: trade, trigger: "trade_closed", settings: settings, session: session, now: now)
            return trade
        }
        await webhooks?.kick()
        return trade
    }

    public func get(_ tradeID: String, by principal: Principal) async throws -> TradeRecord {
        guard let trade = try await context.database.read({ try await $0.ledger.trade(tradeID) }) else {
            throw ServiceError.notFound("trade \(tradeID)", field: "trade_id")
        }
        try Self.ensureAccess(trade, principal)
        return trade
    }

    public func list(userID: String?, status: String?, strategyID: String?, by principal: Principal) async throws -> [TradeRecord] {
        let user = try FieldValidation.requiredText(userID ?? (principal.role.isStaff ? nil : principal.userID), field: "user_id")
        if !principal.role.isStaff, user != principal.userID { throw ServiceError.forbidden }
        let state = try status.map { text -> TradeStatus in
            guard let state = TradeStatus(rawValue: text) else { throw ServiceError.invalid("status", "status must be open or closed") }
            return state
        }
        return try await context.database.read { try await $0.ledger.trades(userID: user, status: state, strategyID: strategyID, limit: 1000) }
    }

    /// A position size for a user's next trade: the base quantity times the factor the user's goals ask for,
    /// in whole shares (crypto: 1e-6 lots), never above the order-notional limit or, with a portfolio value,
    /// the largest position weight of the user's client (else 25%).
    public func size(userID: String?, symbol: String?, baseQuantity: Decimal?, price: Decimal?, portfolioValue: Decimal?,
                     by principal: Principal) async throws -> TradeSizing {
        let user = try FieldValidation.requiredText(userID ?? (principal.role.isStaff ? nil : principal.userID), field: "user_id")
        if !principal.role.isStaff, user != principal.userID { throw ServiceError.forbidden }
        let symbol = try FieldValidation.requiredText(symbol, field: "symbol", maxLength: 20).uppercased()
        guard let baseQuantity, baseQuantity > 0 else { throw ServiceError.invalid("base_quantity", "base_quantity must be above 0") }
        _ = try FieldValidation.ledger(baseQuantity, field: "base_quantity", range: LedgerLimits.quantity, scale: 8)
        let price = try Self.price(price, field: "price")
        if let portfolioValue, portfolioValue <= 0 { throw ServiceError.invalid("portfolio_value", "portfolio_value must be above 0") }
        _ = try FieldValidation.ledger(portfolioValue, field: "portfolio_value", range: LedgerLimits.nonNegativeMoney, scale: 2)
        let now = context.clock.now()
        let (steering, maxWeight) = try await context.database.read { session -> (GoalSteering, Double) in
            let steering = try await GoalSteering.combined(userID: user, session: session, now: now)
            var weight = 0.25
            if let clientID = steering.goals.compactMap(\.clientID).first, let preferences = try await session.preferences.find(clientID: clientID) {
                weight = preferences.maxWeight
            }
            return (steering, weight)
        }
        let fractional = AssetClass.inferred(fromSymbol: symbol).tradesFractionally
        let increment: Decimal = fractional ? Decimal(string: "0.000001")! : 1
        var quantity = (baseQuantity * Decimal(exactly: steering.factor)).floored(toMultipleOf: increment)
        var cappedBy: [String] = []
        let notionalCap = context.settings.riskLimits.maxOrderNotional
        if quantity * price > notionalCap {
            quantity = (notionalCap / price).floored(toMultipleOf: increment)
            cappedBy.append("max_order_notional")
        }
        if let portfolioValue, quantity * price > portfolioValue * Decimal(exactly: maxWeight) {
            quantity = (portfolioValue * Decimal(exactly: maxWeight) / price).floored(toMultipleOf: increment)
            cappedBy.append("max_position_weight")
        }
        return TradeSizing(userID: user, symbol: symbol, baseQuantity: baseQuantity, factor: steering.factor, quantity: quantity,
                           cappedBy: cappedBy, conflicts: steering.conflicts, strategy: steering.strategy?.rawValue, rule: steering.rule)
    }

    static func close(_ trade: inout TradeRecord, exitPrice: Decimal, fees: Decimal, at time: Date) {
        trade.fees += fees
        trade.exitPrice = exitPrice
        trade.exitTime = time
        let move = trade.side == TradeSide.short.rawValue ? trade.entryPrice - exitPrice : exitPrice - trade.entryPrice
        trade.profitLoss = (move * trade.quantity - trade.fees).roundedToCents
        trade.status = .closed
    }

    /// The goals a trade moves: its user's goals without a client, and the goals of its account or client.
    static func reevaluateGoals(of trade: TradeRecord, trigger: String, settings: ServiceSettings, session: Session, now: Date) async throws {
        var ids = try await session.goals.list(userID: trade.userID, clientID: nil, statuses: [.active, .atRisk])
            .filter { $0.clientID == nil }.map(\.goalID)
        if let accountHash = trade.accountHash, let clientID = trade.clientID {
            ids += try await session.goals.goals(touching: accountHash, clientID: clientID, userID: nil).map(\.goalID)
        }
        try await GoalEvaluator(settings: settings).reevaluate(ids, trigger: trigger, session: session, now: now)
    }

    /// Ownership by relation, as for goals: a client's trade belongs to the client's linked login.
    static func ensureAccess(_ trade: TradeRecord, _ principal: Principal) throws {
        if principal.role.isStaff { return }
        if let clientID = trade.clientID {
            guard clientID == principal.clientID else { throw ServiceError.forbidden }
            return
        }
        guard trade.userID == principal.userID else { throw ServiceError.forbidden }
    }

    static func quantity(_ value: Decimal?, symbol: String) throws -> Decimal {
        guard let value, value > 0 else { throw ServiceError.invalid("quantity", "quantity must be above 0") }
        if AssetClass.inferred(fromSymbol: symbol).tradesFractionally {
            guard value.rounded(scale: 8) == value else { throw ServiceError.invalid("quantity", "quantity of \(symbol) may have at most 8 decimals") }
        } else {
            guard value.rounded(scale: 0) == value else {
                throw ServiceError.invalid("quantity", "quantity of \(symbol) must be whole shares; fractional quantities are for crypto (e.g. 0.02 BTCUSDT)")
            }
        }
        return try FieldValidation.ledger(value, field: "quantity", range: LedgerLimits.quantity, scale: 8)
    }

    static func price(_ value: Decimal?, field: String) throws -> Decimal {
        guard let value else { throw ServiceError.invalid(field, "\(field) is required") }
        guard value > 0 else { throw ServiceError.invalid(field, "\(field) must be above 0") }
        return try FieldValidation.ledger(value, field: field, range: LedgerLimits.price, scale: 8)
    }

    static func fees(_ value: Decimal?) throws -> Decimal {
        guard let value else { return 0 }
        guard value >= 0 else { throw ServiceError.invalid("fees", "fees must not be negative") }
        return try FieldValidation.ledger(value, field: "fees", range: LedgerLimits.nonNegativeMoney, scale: 2)
    }
}

/// A goal-aware position size.
public struct TradeSizing: Sendable {
    public var userID: String
    public var symbol: String
    public var baseQuantity: Decimal
    public var factor: Double
    public var quantity: Decimal
    public var cappedBy: [String]
    public var conflicts: [String]
    public var strategy: String?
    public var rule: String
}

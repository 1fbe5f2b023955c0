import FluentKit
import SQLKit

/// Keel recorded the trades and goals of a client without a login under the user id `client-<id>`, a name any
/// login could take. They move to the client's login, or to the generated identity `client:<id>` that no
/// login can have. Rows a real login named `client-<id>` owns itself (no client, and that login exists) stay.
struct M015_GeneratedTradingIdentities: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        let clients = try await sql.raw("SELECT client_id, user_id FROM clients").all()
        for row in clients {
            let clientID = try row.decode(column: "client_id", as: Int.self)
            let login = try row.decode(column: "user_id", as: String?.self)
            let old = "client-\(clientID)", new = login ?? "client:\(clientID)"
            let loginNamedOld = try await sql.raw("SELECT 1 AS x FROM users WHERE user_id = \(bind: old)").first() != nil
            for table in ["trades", "financial_goals", "positions", "alerts"] {
                if loginNamedOld {
                    try await sql.raw("UPDATE \(ident: table) SET user_id = \(bind: new) WHERE user_id = \(bind: old) AND client_id = \(bind: clientID)").run()
                } else {
                    try await sql.raw("UPDATE \(ident: table) SET user_id = \(bind: new) WHERE user_id = \(bind: old)").run()
                }
            }
            if loginNamedOld {
                try await sql.raw("""
                    UPDATE strategy_instances SET user_id = \(bind: new) WHERE user_id = \(bind: old)
                    AND goal_id IN (SELECT goal_id FROM financial_goals WHERE client_id = \(bind: clientID))
                    """).run()
            } else {
                try await sql.raw("UPDATE strategy_instances SET user_id = \(bind: new) WHERE user_id = \(bind: old)").run()
            }
        }
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for table in ["trades", "financial_goals", "positions", "alerts", "strategy_instances"] {
            try await sql.raw("UPDATE \(ident: table) SET user_id = 'client-' || substr(user_id, 8) WHERE user_id LIKE 'client:%'").run()
        }
    }
}

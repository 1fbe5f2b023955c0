import Foundation
import Plot

/// Every workspace address, once. The server registers its routes from `pattern`; every link, redirect and form
/// action is built from `href`, so a renamed path changes in one place and a link to a route that does not exist
/// cannot be written.
public enum WorkspaceRoute: Hashable, Sendable {
    case overview
    case signIn, signOut
    case approvals, approve(batchID: String), reject(batchID: String)
    case clients, client(Int), clientPreferences(Int), clientAccounts(Int), clientRebalance(Int), clientSchwab(Int), clientForm8949(Int)
    case executeBatch(clientID: Int, batchID: String)
    case goals, cancelGoal(String)
    case models, trainModel, deployModel(String), rollbackModel
    case autonomous, autonomousAction(AutonomousAction)
    case data, recordSplit, backtests, jobs, alerts

    /// The autonomous page's controls, each a form post of its own.
    public enum AutonomousAction: String, Sendable, CaseIterable {
        case run, pause, resume, override, killSwitch = "kill-switch"
    }

    /// The path below `/app`, with `:name` where an argument goes (the server's route pattern).
    public var pattern: [String] {
        switch self {
        case .overview: []
        case .signIn: ["sign-in"]
        case .signOut: ["sign-out"]
        case .approvals: ["approvals"]
        case .approve: ["approvals", ":batch_id", "approve"]
        case .reject: ["approvals", ":batch_id", "reject"]
        case .clients: ["clients"]
        case .client: ["clients", ":client_id"]
        case .clientPreferences: ["clients", ":client_id", "preferences"]
        case .clientAccounts: ["clients", ":client_id", "accounts"]
        case .clientRebalance: ["clients", ":client_id", "rebalance"]
        case .clientSchwab: ["clients", ":client_id", "schwab"]
        case .clientForm8949: ["clients", ":client_id", "form-8949"]
        case .executeBatch: ["clients", ":client_id", "batches", ":batch_id", "execute"]
        case .goals: ["goals"]
        case .cancelGoal: ["goals", ":goal_id", "cancel"]
        case .models: ["models"]
        case .trainModel: ["models", "train"]
        case .deployModel: ["models", ":model_id", "deploy"]
        case .rollbackModel: ["models", "rollback"]
        case .autonomous: ["autonomous"]
        case .autonomousAction(let action): ["autonomous", action.rawValue]
        case .data: ["data"]
        case .recordSplit: ["data", "splits"]
        case .backtests: ["backtests"]
        case .jobs: ["jobs"]
        case .alerts: ["alerts"]
        }
    }

    /// The values of the pattern's `:name` components, in order.
    var arguments: [String] {
        switch self {
        case .approve(let batchID), .reject(let batchID): [batchID]
        case .client(let id), .clientPreferences(let id), .clientAccounts(let id), .clientRebalance(let id), .clientSchwab(let id),
             .clientForm8949(let id): [String(id)]
        case .executeBatch(let clientID, let batchID): [String(clientID), batchID]
        case .cancelGoal(let id), .deployModel(let id): [id]
        default: []
        }
    }

    /// The absolute path, each argument percent-encoded as one segment.
    public var path: String {
        var values = arguments.makeIterator()
        let segments = pattern.map { component in
            component.hasPrefix(":") ? Self.encode(values.next() ?? "") : component
        }
        return "/app" + segments.map { "/" + $0 }.joined()
    }

    /// The path with a query (pairs whose value is nil are left out) and an optional fragment.
    public func href(_ query: KeyValuePairs<String, String?> = [:], fragment: String? = nil) -> String {
        let items = query.compactMap { key, value in value.map { "\(key)=\(Self.encode($0))" } }
        return path + (items.isEmpty ? "" : "?" + items.joined(separator: "&")) + (fragment.map { "#" + Self.encode($0) } ?? "")
    }

    /// Letters, digits and `-._~` stay as they are; everything else is percent-encoded (a value cannot end a
    /// segment, start a query or add a parameter).
    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}


extension Node where Context: HTMLLinkableContext {
    /// A link to a workspace route (escaped: Plot writes attribute values as given).
    static func href(to route: WorkspaceRoute, _ query: KeyValuePairs<String, String?> = [:], fragment: String? = nil) -> Node {
        .href(Markup.escape(route.href(query, fragment: fragment)))
    }
}

extension Node where Context == HTML.FormContext {
    /// A form sent to a workspace route.
    static func action(to route: WorkspaceRoute) -> Node {
        .action(Markup.escape(route.path))
    }
}

import Foundation
import KeelBrokers
import KeelCore
import KeelStore

/// Finds the broker that serves an account, by its brokerage.
public struct BrokerRegistry: Sendable {
    public let paper: PaperBroker
    /// The live Schwab broker, once configured (the Schwab integration provides it).
    public let schwab: (any Broker)?

    public init(paper: PaperBroker, schwab: (any Broker)? = nil) {
        self.paper = paper
        self.schwab = schwab
    }

    public func broker(for account: AccountRecord) throws -> any Broker {
        switch account.brokerage.code {
        case "paper":
            return paper
        case "schwab":
            guard let schwab else {
                throw ServiceError(.unavailable, code: "broker_not_configured",
                                   message: "Schwab trading is not configured on this server (no Schwab app key / OAuth link); no order was sent")
            }
            return schwab
        default:
            throw ServiceError(.unavailable, code: "unknown_broker", message: "no broker for brokerage \(account.brokerage.code)")
        }
    }

    /// The modes an account can execute in: paper accounts simulate, live brokers trade for real.
    public func allowedModes(for account: AccountRecord) -> Set<TradingMode> {
        account.brokerage.code == "paper" ? [.dryRun, .paper] : [.dryRun, .live]
    }
}

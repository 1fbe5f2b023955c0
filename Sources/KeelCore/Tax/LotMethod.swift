import Foundation

/// Which lots a sale consumes.
public enum LotMethod: Sendable, Hashable {
    /// Oldest first (the default, and the IRS's when nothing is specified).
    case fifo
    /// Highest basis per share first.
    case hifo
    /// The lots named, in that order (the planner's choice); then FIFO for any rest.
    case specific([String])
    /// The smallest estimated tax first: losses (short-term before long-term at the usual rates), then long-term
    /// gains, then short-term gains.
    case minimumTax

    public var name: String {
        switch self {
        case .fifo: "fifo"
        case .hifo: "hifo"
        case .specific: "specific"
        case .minimumTax: "minimum_tax"
        }
    }

    /// The account-level methods a preference can name (specific lots are chosen per order).
    public static func named(_ name: String) -> LotMethod? {
        switch name {
        case "fifo": .fifo
        case "hifo": .hifo
        case "minimum_tax": .minimumTax
        default: nil
        }
    }
}

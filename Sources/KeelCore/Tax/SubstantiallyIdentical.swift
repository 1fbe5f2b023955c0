import Foundation

/// Securities the wash-sale rule treats as one: each symbol is identical to itself, and the advisor may mark
/// groups as substantially identical (e.g. two share classes of one fund). Two index funds on different indexes
/// are not: that is what makes one a harvesting substitute for the other.
public struct SubstantiallyIdentical: Sendable, Hashable, Codable {
    /// Symbol -> the group's key (the group's first symbol).
    var groupOf: [String: String]

    public init(groups: [[String]] = []) {
        var groupOf: [String: String] = [:]
        for group in groups {
            let members = group.map { $0.uppercased() }
            guard let key = members.min() else { continue }
            for symbol in members { groupOf[symbol] = key }
        }
        self.groupOf = groupOf
    }

    public func key(_ symbol: String) -> String { groupOf[symbol.uppercased()] ?? symbol.uppercased() }

    public func same(_ a: String, _ b: String) -> Bool { key(a) == key(b) }

    /// The groups, each sorted, in order of their first symbol.
    public var groups: [[String]] {
        Dictionary(grouping: groupOf.keys, by: { groupOf[$0] ?? $0 }).values.map { $0.sorted() }.sorted { $0[0] < $1[0] }
    }
}

import Foundation

/// Realised lots as the rows of IRS Form 8949: (a) description, (b) date acquired, (c) date sold, (d) proceeds,
/// (e) cost or other basis, (f) code, (g) adjustment, (h) gain or loss; Part I short term, Part II long term.
/// Code W marks a wash sale, whose disallowed loss is the positive adjustment in (g).
public enum Form8949 {
    public struct Row: Sendable, Hashable {
        public var term: HoldingTerm
        public var description: String
        public var acquired: String
        public var sold: String
        public var proceeds: Decimal
        /// Nil when the broker gave no basis for the shares (reported blank, as on a 1099-B with box 12 unchecked).
        public var costBasis: Decimal?
        public var code: String
        public var adjustment: Decimal
        public var gainOrLoss: Decimal?
    }

    /// One row per realised lot of `year`, short term first, each part by date sold then description.
    public static func rows(_ realized: [RealizedLot], year: Int) -> [Row] {
        realized.filter { $0.taxYear == year }
            .sorted { ($0.term == .short ? 0 : 1, $0.soldOn, $0.symbol, $0.realizedID) < ($1.term == .short ? 0 : 1, $1.soldOn, $1.symbol, $1.realizedID) }
            .map { lot in
                Row(term: lot.term, description: "\(number(lot.quantity)) sh. \(lot.symbol)", acquired: date(lot.acquiredOn), sold: date(lot.soldOn),
                    proceeds: lot.proceeds.roundedToCents, costBasis: lot.basisKnown ? lot.costBasis.roundedToCents : nil,
                    code: lot.washDisallowed > 0 ? "W" : "", adjustment: lot.washDisallowed.roundedToCents,
                    gainOrLoss: lot.basisKnown ? lot.reportableGain.roundedToCents : nil)
            }
    }

    /// The form's columns, in its order, then the part.
    public static let header = ["description", "date_acquired", "date_sold", "proceeds", "cost_basis", "code", "adjustment", "gain_or_loss", "term"]

    public static func csv(_ rows: [Row]) -> String {
        var out = header.joined(separator: ",") + "\n"
        for row in rows {
            out += [quoted(row.description), row.acquired, row.sold, money(row.proceeds), row.costBasis.map(money) ?? "", row.code,
                    row.adjustment == 0 ? "" : money(row.adjustment), row.gainOrLoss.map(money) ?? "", row.term == .short ? "short" : "long"]
                .joined(separator: ",") + "\n"
        }
        return out
    }

    /// MM/DD/YYYY, as the form writes dates.
    static func date(_ day: CivilDay) -> String {
        let (year, month, dayOfMonth) = day.components
        return String(format: "%02d/%02d/%04d", month, dayOfMonth, year)
    }

    static func money(_ value: Decimal) -> String {
        let text = NSDecimalNumber(decimal: value.roundedToCents).stringValue
        guard let dot = text.firstIndex(of: ".") else { return text + ".00" }
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        return decimals >= 2 ? text : text + String(repeating: "0", count: 2 - decimals)
    }

    static func number(_ value: Decimal) -> String { NSDecimalNumber(decimal: value).stringValue }

    static func quoted(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}

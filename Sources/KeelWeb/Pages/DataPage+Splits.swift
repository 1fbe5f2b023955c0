import Foundation
import Plot

extension DataPage.Model {
    /// A recorded stock split and what applying it did.
    public struct Split: Sendable, Hashable {
        public var symbol: String
        public var exDate: String
        public var newShares: Int
        public var oldShares: Int
        public var recordedBy: String
        public var appliedAt: Date?
        public var accountsAdjusted: Int?
        public var batchesExpired: Int?
        /// The price per new share a fraction of a share was paid at; nil: not fixed yet, or fractions kept.
        public var cashInLieuPrice: Decimal?

        public init(symbol: String, exDate: String, newShares: Int, oldShares: Int, recordedBy: String, appliedAt: Date?, accountsAdjusted: Int?,
                    batchesExpired: Int?, cashInLieuPrice: Decimal? = nil) {
            self.symbol = symbol
            self.exDate = exDate
            self.newShares = newShares
            self.oldShares = oldShares
            self.recordedBy = recordedBy
            self.appliedAt = appliedAt
            self.accountsAdjusted = accountsAdjusted
            self.batchesExpired = batchesExpired
            self.cashInLieuPrice = cashInLieuPrice
        }
    }
}

extension DataPage {
    /// The texts a split form's outcome code shows (fixed: a link cannot make the page say anything).
    public static let splitMessages: [String: String] = [
        "scheduled": "The split is scheduled: it applies at the start of its ex-date.",
        "unchanged": "That split was already scheduled; nothing changed.",
        "symbol": "Give a ticker symbol (letters, digits, '.', '-', '/'; at most 20).",
        "ex_date": "The ex-date must be a day after today and at most a year ahead.",
        "new_shares": "Give the shares after the split: a whole number from 1 to 10,000, not equal to the shares before.",
        "old_shares": "Give the shares before the split: a whole number from 1 to 10,000 that makes an exact ratio (e.g. 2-for-1, 3-for-2, 1-for-8).",
        "conflicting_split": "Another ratio is already scheduled for that symbol and day.",
        "forbidden": "Only an administrator can schedule a split.",
    ]

    /// Recorded splits, newest ex-date first, and for an administrator the form that schedules one.
    static func splitsSection(_ model: Model) -> Node<HTML.BodyContext> {
        .section(
            .class("card"), .id("splits"), .style("margin-top:1rem"),
            .h2("Stock splits"),
            .p(.class("label"), .text("At the start of its ex-date (midnight UTC) a split scales every account's position and tax lots of the symbol, "
                                      + "and expires batches still waiting that order it. Record it before that day. A fraction of a share it leaves "
                                      + "is paid in cash at the last close before the ex-date (in new shares) and realised as a sale.")),
            .if(model.splits.isEmpty, .p("No splits recorded.")),
            .if(!model.splits.isEmpty, .table(
                .tr(.th("Symbol"), .th("Ex-date"), .th("Ratio"), .th("Recorded by"), .th("Status"), .th("Accounts adjusted"), .th("Batches expired"), .th("Cash in lieu")),
                .forEach(model.splits) { split in
                    .tr(.td(.a(.href(to: .data, ["symbol": split.symbol]), .text(split.symbol))), .td(.text(split.exDate)),
                        .td(.text("\(split.newShares)-for-\(split.oldShares)")), .td(.text(split.recordedBy)),
                        .td(.class(split.appliedAt == nil ? "" : "good"), .text(split.appliedAt.map { "applied \(Format.time($0))" } ?? "scheduled")),
                        .td(.text(split.accountsAdjusted.map(String.init) ?? "–")), .td(.text(split.batchesExpired.map(String.init) ?? "–")),
                        .td(.text(split.cashInLieuPrice.map { "$\($0) a share" } ?? "–")))
                }
            )),
            .if(model.canRecordSplits, .form(
                .method(.post), .action(to: .recordSplit), .style("margin-top:.6rem"),
                .input(.type(.hidden), .name("csrf"), .value(Markup.escape(model.viewer.csrfToken))),
                .label(.for("split-symbol"), "Symbol"),
                .input(.type(.text), .name("symbol"), .id("split-symbol"), .attribute(named: "maxlength", value: "20"), .attribute(named: "required", value: "required")),
                .label(.for("split-ex-date"), "Ex-date"),
                .input(.type(.date), .name("ex_date"), .id("split-ex-date"), .attribute(named: "required", value: "required")),
                .label(.for("split-new-shares"), "New shares"),
                .input(.type(.number), .name("new_shares"), .id("split-new-shares"), .attribute(named: "min", value: "1"),
                       .attribute(named: "max", value: "10000"), .attribute(named: "required", value: "required")),
                .label(.for("split-old-shares"), "for old shares"),
                .input(.type(.number), .name("old_shares"), .id("split-old-shares"), .attribute(named: "min", value: "1"),
                       .attribute(named: "max", value: "10000"), .attribute(named: "required", value: "required")),
                .p(.button(.type(.submit), "Schedule the split"))
            ))
        )
    }
}

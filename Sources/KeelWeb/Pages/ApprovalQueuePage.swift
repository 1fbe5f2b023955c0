import Foundation
import Plot

extension ApprovalQueuePage {
    /// The batches waiting for an advisor: each with its orders, what it should cost, the pre-trade checks it would
    /// meet now, and why it looks the way it does (strategy and reason, model, goal factor, cycle).
    public struct Model: Sendable {
        public struct Order: Sendable, Hashable {
            public var symbol: String
            public var side: String
            public var quantity: Double
            public var price: Double
            public var notional: Double
            public var currentWeight: Double
            public var targetWeight: Double
            /// A taxable account's sale: the estimated realised gain (short and long term together) and its tax.
            public var estimatedGain: Double?
            public var estimatedTax: Double?

            public init(symbol: String, side: String, quantity: Double, price: Double, notional: Double, currentWeight: Double, targetWeight: Double) {
                self.symbol = symbol
                self.side = side
                self.quantity = quantity
                self.price = price
                self.notional = notional
                self.currentWeight = currentWeight
                self.targetWeight = targetWeight
            }
        }

        /// What a tax rule changed for one symbol, and why.
        public struct TaxAdjustment: Sendable, Hashable {
            public var symbol: String
            public var reason: String

            public init(symbol: String, reason: String) {
                self.symbol = symbol
                self.reason = reason
            }
        }

        /// One order as a dry run would fill it now.
        public struct PreviewFill: Sendable, Hashable {
            public var symbol: String
            public var side: String
            public var quantity: Double
            public var price: Double
            public var notional: Double
            public var fees: Double

            public init(symbol: String, side: String, quantity: Double, price: Double, notional: Double, fees: Double) {
                self.symbol = symbol
                self.side = side
                self.quantity = quantity
                self.price = price
                self.notional = notional
                self.fees = fees
            }
        }

        /// The batch run as a dry run against today's books: fills, and the cash before and after.
        public struct Preview: Sendable, Hashable {
            public var fills: [PreviewFill]
            public var cashBefore: Double
            public var cashAfter: Double

            public init(fills: [PreviewFill], cashBefore: Double, cashAfter: Double) {
                self.fills = fills
                self.cashBefore = cashBefore
                self.cashAfter = cashAfter
            }
        }

        public struct Batch: Sendable, Hashable {
            public var batchID: String
            public var client: String
            public var accountHash: String
            public var createdAt: Date
            public var expiresAt: Date?
            public var strategy: String
            public var modelVersion: String
            public var reason: String?
            public var goalFactor: Double?
            public var cycleID: String?
            /// The market regime of the day the batch was planned (with its confidence), when classified.
            public var regime: String?
            public var portfolioValue: Double
            public var estimatedCosts: Double
            public var checks: [String]
            public var orders: [Order]
            public var preview: Preview?
            /// A taxable account's batch: the lot method and rates, and what the tax rules changed (symbol: why).
            public var tax: String?
            public var taxAdjustments: [TaxAdjustment] = []

            public init(batchID: String, client: String, accountHash: String, createdAt: Date, expiresAt: Date?, strategy: String, modelVersion: String,
                        reason: String?, goalFactor: Double?, cycleID: String?, regime: String? = nil, portfolioValue: Double, estimatedCosts: Double, checks: [String], orders: [Order],
                        preview: Preview? = nil) {
                self.preview = preview
                self.regime = regime
                self.batchID = batchID
                self.client = client
                self.accountHash = accountHash
                self.createdAt = createdAt
                self.expiresAt = expiresAt
                self.strategy = strategy
                self.modelVersion = modelVersion
                self.reason = reason
                self.goalFactor = goalFactor
                self.cycleID = cycleID
                self.portfolioValue = portfolioValue
                self.estimatedCosts = estimatedCosts
                self.checks = checks
                self.orders = orders
            }
        }

        public var viewer: Viewer
        public var batches: [Batch]
        /// What the last action did ("batch … approved"), or why it failed.
        public var notice: String?
        public var error: String?
        /// The batch whose rejection lacked a reason: its form shows the error.
        public var rejectErrorBatch: String?
        public var page: Int
        public var pageSize: Int
        /// Batches waiting in all (this page shows `batches`).
        public var total: Int

        public init(viewer: Viewer, batches: [Batch], notice: String? = nil, error: String? = nil, rejectErrorBatch: String? = nil,
                    page: Int = 1, pageSize: Int = 10, total: Int? = nil) {
            self.page = page
            self.pageSize = pageSize
            self.total = total ?? batches.count
            self.viewer = viewer
            self.batches = batches
            self.notice = notice
            self.error = error
            self.rejectErrorBatch = rejectErrorBatch
        }
    }
}

public enum ApprovalQueuePage {
    /// What an action's outcome code reads as on the queue (fixed texts: a link cannot make the page say anything).
    public static let messages: [String: String] = [
        "approved": "The batch was approved; it executes when you (or the cycle) run it.",
        "rejected": "The batch was rejected.",
        "approval_expired": "That batch's approval window ended; it must be planned again.",
        "content_changed": "That batch changed since it was planned; plan it again.",
        "batch_state_changed": "That batch changed while you acted; the queue shows it as it is now.",
        "invalid_batch_state": "That batch no longer waits for approval.",
        "not_found": "That batch no longer exists.",
    ]

    public static func render(_ model: Model) -> String {
        PageLayout.document(title: "Approvals", section: .approvals, viewer: model.viewer, content: .group(
            .h1("Approval queue"),
            Controls.banners(notice: model.notice, error: model.error),
            .if(model.batches.isEmpty, .p("Nothing waits for approval.")),
            .if(model.total > model.batches.count, .p(.class("label"), .text("\(model.total) batches wait; page \(model.page) of \(pages(model)), newest first."))),
            .forEach(model.batches) { batch($0, model: model) },
            pager(model)
        ))
    }

    static func pages(_ model: Model) -> Int { max(1, (model.total + model.pageSize - 1) / max(model.pageSize, 1)) }

    static func pager(_ model: Model) -> Node<HTML.BodyContext> {
        .nav(.attribute(named: "aria-label", value: "Queue pages"),
             .if(model.page > 1, .a(.href(to: .approvals, ["page": String(model.page - 1)]), "← Newer")),
             .text(" "),
             .if(model.page < pages(model), .a(.href(to: .approvals, ["page": String(model.page + 1)]), "Older →")))
    }

    static func batch(_ batch: Model.Batch, model: Model) -> Node<HTML.BodyContext> {
        let reasonField = "reason-\(batch.batchID)"
        let rejectError = model.rejectErrorBatch == batch.batchID
        let planned = "Batch \(batch.batchID), planned \(Format.time(batch.createdAt))" + (batch.expiresAt.map { ", approval open until \(Format.time($0))" } ?? "")
        let checks: Node<HTML.BodyContext> = .p(.class(batch.checks.isEmpty ? "good" : "bad"),
                                                 .text("Pre-trade checks: " + (batch.checks.isEmpty ? "all pass against today's books" : batch.checks.joined(separator: "; "))))
        return .section(
            .class("card"), .id(Markup.escape("batch-\(batch.batchID)")), .style("margin-bottom:1rem"),
            .h2(.text("\(batch.client) · \(batch.accountHash)")),
            .p(.class("label"), .text(planned)),
            lineage(batch),
            checks,
            .h2(.style("margin-top:.8rem"), .text("Orders (\(batch.orders.count))")),
            orders(batch),
            .unwrap(batch.tax) { tax($0, batch.taxAdjustments) },
            .unwrap(batch.preview) { preview($0) },
            actions(batch, reasonField: reasonField, rejectError: rejectError, csrf: model.viewer.csrfToken)
        )
    }

    static func lineage(_ batch: Model.Batch) -> Node<HTML.BodyContext> {
        let rows: [(String, String)] = [
            ("Strategy", batch.strategy), ("Why", batch.reason ?? "requested by hand"), ("Model", batch.modelVersion),
            ("Goal risk factor", batch.goalFactor.map { String(format: "%.2f", $0) } ?? "no goal"), ("Regime when planned", batch.regime ?? "–"),
            ("Cycle", batch.cycleID ?? "–"),
            ("Portfolio value", Format.money(batch.portfolioValue)),
            ("Estimated costs", Format.money(batch.estimatedCosts) + " (slippage and fees, paper model)"),
        ]
        return .table(.forEach(rows) { row in .tr(.th(.text(row.0)), .td(.text(row.1))) })
    }

    /// Folded by default (a `details` element: no script), so the queue stays short.
    static func preview(_ preview: Model.Preview) -> Node<HTML.BodyContext> {
        .element(named: "details", nodes: [
            .element(named: "summary", text: "Dry-run preview: cash \(Format.money(preview.cashBefore)) → \(Format.money(preview.cashAfter))"),
            .p(.class("label"), "Each order filled now at the last stored close, with the paper broker's slippage and fees; nothing is sent."),
            .table(
                .tr(.th("Symbol"), .th("Side"), .th("Quantity"), .th("Fill price"), .th("Notional"), .th("Fees")),
                .forEach(preview.fills) { fill in
                    .tr(.td(.text(fill.symbol)), .td(.text(fill.side)), .td(.text(String(format: "%g", fill.quantity))), .td(.text(Format.money(fill.price))),
                        .td(.text(Format.money(fill.notional))), .td(.text(Format.money(fill.fees))))
                }
            ),
        ])
    }

    static func orders(_ batch: Model.Batch) -> Node<HTML.BodyContext> {
        let taxed = batch.tax != nil
        return .table(
            .tr(.th("Symbol"), .th("Side"), .th("Quantity"), .th("Price"), .th("Notional"), .th("Weight now → target"),
                .if(taxed, .th("Est. realised gain")), .if(taxed, .th("Est. tax"))),
            .forEach(batch.orders) { order in
                let weights = Format.percent(order.currentWeight) + " → " + Format.percent(order.targetWeight)
                let quantity = String(format: "%g", order.quantity)
                return .tr(.td(.text(order.symbol)), .td(.class(order.side == "buy" ? "good" : "bad"), .text(order.side)), .td(.text(quantity)),
                           .td(.text(Format.money(order.price))), .td(.text(Format.money(order.notional))), .td(.text(weights)),
                           .if(taxed, .td(.text(order.estimatedGain.map { Format.money($0) } ?? "–"))),
                           .if(taxed, .td(.class((order.estimatedTax ?? 0) > 0 ? "bad" : ""), .text(order.estimatedTax.map { Format.money($0) } ?? "–"))))
            }
        )
    }

    /// The tax basis of the plan and what the tax rules changed (not tax advice).
    static func tax(_ summary: String, _ adjustments: [Model.TaxAdjustment]) -> Node<HTML.BodyContext> {
        .group(
            .p(.class("label"), .text("Taxable account: \(summary). Estimates, not tax advice.")),
            .if(!adjustments.isEmpty, .ul(.forEach(adjustments) { entry in .li(.b(.text(entry.symbol)), .text(": " + entry.reason)) }))
        )
    }

    static func actions(_ batch: Model.Batch, reasonField: String, rejectError: Bool, csrf: String) -> Node<HTML.BodyContext> {
        let approve: Node<HTML.BodyContext> = .form(
            .method(.post), .action(to: .approve(batchID: batch.batchID)),
            .input(.type(.hidden), .name("csrf"), .value(Markup.escape(csrf))),
            .button(.type(.submit), "Approve")
        )
        let reject: Node<HTML.BodyContext> = .form(
            .method(.post), .action(to: .reject(batchID: batch.batchID)),
            .input(.type(.hidden), .name("csrf"), .value(Markup.escape(csrf))),
            .label(.for(Markup.escape(reasonField)), "Reason to reject"),
            .input(.type(.text), .name("reason"), .id(Markup.escape(reasonField)), .attribute(named: "maxlength", value: "500"),
                   .attribute(named: "aria-invalid", value: Markup.escape(rejectError ? "true" : "false"))),
            .if(rejectError, .p(.class("error"), "A reason is required to reject a batch.")),
            .button(.class("danger"), .type(.submit), "Reject")
        )
        return .div(.style("display:flex;flex-wrap:wrap;gap:1rem;margin-top:.8rem;align-items:flex-end"), approve, reject)
    }
}

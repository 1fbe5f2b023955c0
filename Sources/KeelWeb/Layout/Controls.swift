import Foundation
import Plot

/// Pieces of markup several pages share, written once.
enum Controls {
    /// A progress bar of a fraction (clamped to 0…1; non-finite as 0) with its label for screen readers.
    static func progress(_ fraction: Double?, label: String) -> Node<HTML.BodyContext> {
        let value = min(max(fraction.flatMap { $0.isFinite ? $0 : nil } ?? 0, 0), 1)
        return .element(named: "progress", nodes: [.attribute(named: "max", value: "1"), .attribute(named: "value", value: Markup.escape(String(format: "%.3f", value))),
                                                   .attribute(named: "aria-label", value: Markup.escape(label)), .text(Format.percent(fraction))])
    }

    /// What the last action did, and why it failed: the outcome banners at the top of a page.
    static func banners(notice: String?, error: String?) -> Node<HTML.BodyContext> {
        .group(
            .unwrap(notice) { .p(.class("notice good"), .attribute(named: "role", value: "status"), .text($0)) },
            .unwrap(error) { .p(.class("notice bad"), .attribute(named: "role", value: "alert"), .text($0)) }
        )
    }
}

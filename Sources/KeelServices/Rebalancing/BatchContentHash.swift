import Foundation
import KeelStore

/// The fingerprint of what a batch would trade. Approval records it; execution refuses a batch whose
/// orders no longer hash to the approved value.
enum BatchContentHash {
    static func compute(accountHash: String, orders: [BatchOrderRecord]) -> String {
        var text = "account=\(accountHash)\n"
        for order in orders.sorted(by: { $0.sequence < $1.sequence }) {
            text += "\(order.sequence)|\(order.symbol)|\(order.side.rawValue)|\(order.quantity)|\(order.referencePrice)|\(order.clientOrderKey)\n"
        }
        return Digest.sha256(text)
    }
}

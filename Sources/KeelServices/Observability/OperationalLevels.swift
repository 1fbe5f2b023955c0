import Foundation
import KeelStore

/// The levels `/metrics` reports at each scrape: orders whose outcome is unknown, and jobs queued and running by kind.
public struct OperationalLevels: Sendable {
    public var unknownOrders: Int
    public var queued: [String: Int]
    public var running: [String: Int]
}

extension JobService {
    /// Reads the levels and records them as gauges (for the kinds this process runs).
    @discardableResult
    public func recordLevels() async throws -> OperationalLevels {
        let levels = try await context.database.read { session in
            OperationalLevels(unknownOrders: try await session.batches.orders(statuses: [.unknown]).count, queued: try await session.jobs.queueDepth(),
                              running: try await session.jobs.runningCounts())
        }
        KeelMetrics.recordLevels(unknownOrders: levels.unknownOrders, queued: levels.queued, running: levels.running, kinds: kinds)
        return levels
    }
}

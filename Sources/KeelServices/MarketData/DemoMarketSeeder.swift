import Foundation
import KeelCore
import KeelStore

/// Fills market_bars with the simulated market for every symbol of the model portfolios, through the
/// market-data pipeline (so the bars are validated like any other source). The simulator is anchored on a
/// fixed day, so re-running on a later day reproduces the stored history and appends only the new days,
/// and `keel data update` continues the same path.
public struct DemoMarketSeeder: Sendable {
    public static let defaultSeed: UInt64 = 20_260_101

    let context: ServiceContext

    public init(context: ServiceContext) {
        self.context = context
    }

    public struct Result: Sendable {
        public var symbols: Int
        public var bars: Int
        public var run: PipelineRunRecord
    }

    @discardableResult
    public func seed(seed: UInt64 = DemoMarketSeeder.defaultSeed, historyDays: Int = 760) async throws -> Result {
        let symbols = try await context.database.read { session in
            Array(Set(try await session.referenceData.modelPortfolios().flatMap(\.universe))).sorted()
        }
        let provider = SimulatorMarketDataProvider(seed: seed, historyDays: historyDays, symbols: symbols, clock: context.clock)
        let pipeline = PipelineService(context: context)
        let started = try await pipeline.start(mode: .full, provider: provider, parameters: PipelineParameters(), by: "system")
        let run = try await pipeline.execute(started.runID)
        guard run.status == .succeeded else {
            throw ServiceError(.unavailable, code: "seed_failed", message: "seeding simulated prices failed: \(run.error ?? "unknown")")
        }
        return Result(symbols: symbols.count, bars: run.barsStored, run: run)
    }
}

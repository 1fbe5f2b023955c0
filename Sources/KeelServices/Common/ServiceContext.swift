import Foundation
import KeelCore
import KeelStore
import Logging

/// What every workflow needs: the database, the clock, the settings, a logger, and the threads CPU-bound work
/// runs on.
public struct ServiceContext: Sendable {
    public let database: KeelDatabase
    public let clock: any KeelClock
    public let settings: ServiceSettings
    public let logger: Logger
    /// Hot reads kept while nothing is written (tokens, portfolio health, clients).
    public let readCache: ReadCache
    /// Training, evaluation and backtests run here, never on the cooperative pool.
    public let compute: ComputeExecutor

    public init(database: KeelDatabase, clock: any KeelClock, settings: ServiceSettings, logger: Logger, readCache: ReadCache = ReadCache(),
                compute: ComputeExecutor = .shared) {
        self.database = database
        self.clock = clock
        self.settings = settings
        self.logger = logger
        self.readCache = readCache
        self.compute = compute
    }
}

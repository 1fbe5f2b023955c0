import Foundation
import KeelCore
import KeelStore
import Logging

/// What every workflow needs: the database, the clock, the settings and a logger.
public struct ServiceContext: Sendable {
    public let database: KeelDatabase
    public let clock: any KeelClock
    public let settings: ServiceSettings
    public let logger: Logger
    /// Hot reads kept while nothing is written (tokens, portfolio health, clients).
    public let readCache: ReadCache

    public init(database: KeelDatabase, clock: any KeelClock, settings: ServiceSettings, logger: Logger, readCache: ReadCache = ReadCache()) {
        self.database = database
        self.clock = clock
        self.settings = settings
        self.logger = logger
        self.readCache = readCache
    }
}

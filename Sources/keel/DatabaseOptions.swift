import ArgumentParser
import Foundation
import KeelAPI
import KeelStore

/// `--database-url`, shared by every command; KEEL_DATABASE_URL when the flag is absent; else the embedded SQLite file.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "postgres://user:pass@host:5432/db, or a SQLite file path (default: $KEEL_DATABASE_URL, else ./\(KeelConfiguration.embeddedDatabasePath))")
    var databaseURL: String?

    func location() throws -> DatabaseLocation {
        let text = databaseURL ?? KeelEnvironment.databaseURL.value
        guard let text, !text.isEmpty else { return .sqlite(path: KeelConfiguration.embeddedDatabasePath) }
        do {
            return try DatabaseLocation(parsing: text)
        } catch {
            throw ValidationError(String(describing: error))
        }
    }
}

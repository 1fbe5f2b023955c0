import ArgumentParser
import Foundation
import KeelAPI
import KeelStore
import Vapor

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply pending database migrations and exit.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let location = try database.location()
        let app = try await Application.make(Environment(name: "production", arguments: ["keel"]))
        do {
            try await migrateKeel(app, location: location)
            print("Migrations applied to \(location).")
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }
}

import ArgumentParser
import Foundation
import KeelCore
import SchwabSandbox
import Vapor

/// `keel sandbox`: a Schwab stand-in on this machine, for demos and manual testing.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sandbox", abstract: "Run the Schwab-compatible sandbox server.")

    @ArgumentParser.Option(help: "Port to listen on.")
    var port = 8181

    @ArgumentParser.Option(help: "Address to listen on.")
    var hostname = "127.0.0.1"

    @ArgumentParser.Option(name: .customLong("app-key"), help: "The registered app's key (client_id).")
    var appKey: String

    @ArgumentParser.Option(name: .customLong("app-secret"), help: "The registered app's secret.")
    var appSecret: String

    @ArgumentParser.Option(help: "The registered callback URL; redirect_uri must match it exactly.")
    var callback: String

    @ArgumentParser.Flag(name: .customLong("auto-approve"), help: "Redirect to the callback at once instead of showing the consent page.")
    var autoApprove = false

    @ArgumentParser.Option(name: .customLong("public-base-url"), help: "Host used in the Location of placed orders.")
    var publicBaseURL = "https://api.schwabapi.com"

    @ArgumentParser.Option(name: .customLong("orders-per-minute"), help: "Order requests per account per minute (0-120).")
    var ordersPerMinute = 120

    @ArgumentParser.Option(help: "Seed of the simulated prices (Keel's demo uses 20260101).")
    var seed: UInt64 = 20_260_101

    func validate() throws {
        guard (1...65_535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") }
        guard (0...120).contains(ordersPerMinute) else { throw ValidationError("--orders-per-minute must be between 0 and 120") }
        guard URL(string: callback)?.scheme != nil else { throw ValidationError("--callback must be a full URL such as https://127.0.0.1:8182") }
    }

    func run() async throws {
        var env = Environment(name: "production", arguments: ["keel", "serve"])
        try LoggingSystem.bootstrap(from: &env)
        let app = try await Application.make(env)
        app.http.server.configuration.hostname = hostname
        app.http.server.configuration.port = port
        SchwabSandboxServer.configure(app, SandboxConfiguration(appKey: appKey, appSecret: appSecret, callbackURL: callback, autoApprove: autoApprove,
                                                               publicBaseURL: publicBaseURL, priceSeed: seed, ordersPerMinute: ordersPerMinute))
        print("Schwab sandbox on http://\(hostname):\(port) (app key \(appKey), callback \(callback)\(autoApprove ? ", auto-approve" : ""))")
        do {
            try await app.execute()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }
}

import ArgumentParser
import Foundation
import KeelServices

/// `keel schwab login --client-id N`: the paste-the-URL flow for machines without a public callback.
struct SchwabCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "schwab", abstract: "Link Schwab logins.", subcommands: [SchwabLoginCommand.self])
}

struct SchwabLoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Print the Schwab authorize URL, then read the URL Schwab redirected to and link the client's accounts.")

    @OptionGroup var database: DatabaseOptions

    @ArgumentParser.Option(name: .customLong("client-id"), help: "The Keel client to link.")
    var clientID: Int

    @ArgumentParser.Option(name: .customLong("redirect-url"), help: "The redirected URL (otherwise it is read from standard input).")
    var redirectURL: String?

    func run() async throws {
        let status = try await CLIApplication.run(database: database) { services -> SchwabLinkStatus in
            guard let schwab = services.schwab else {
                throw ValidationError("Schwab is not configured: set KEEL_SCHWAB_APP_KEY, KEEL_SCHWAB_APP_SECRET, KEEL_PUBLIC_URL (and KEEL_SCHWAB_BASE_URL for the sandbox)")
            }
            let operator_ = Principal(userID: "cli", role: .admin, clientID: nil)
            let (url, expires) = try await schwab.authorizationURL(clientID: clientID, by: operator_)
            // Written unbuffered: the prompt must show before the read even when the output is a pipe.
            let prompt = "Open this URL in a browser and log in to Schwab (valid until \(expires)):\n\n  \(url.absoluteString)\n\n"
                + "Then paste the full URL your browser was redirected to (it contains code= and state=):\n"
            FileHandle.standardOutput.write(Data(prompt.utf8))
            guard let pasted = redirectURL ?? readLine(strippingNewline: true), let components = URLComponents(string: pasted.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("no redirect URL was given")
            }
            let items = components.queryItems ?? []
            return try await schwab.completeLogin(code: items.first { $0.name == "code" }?.value, state: items.first { $0.name == "state" }?.value)
        }
        print("Linked \(status.accounts.count) Schwab account(s) to client \(clientID); the login is valid until \(status.refreshExpiresAt.map { "\($0)" } ?? "?").")
        for account in status.accounts { print("  \(account.accountType) \(account.accountHash.prefix(12))… cash \(account.cash)") }
    }
}

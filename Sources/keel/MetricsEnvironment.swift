import ArgumentParser
import Foundation

/// The scrape credential for `/metrics` from the environment (`KEEL_METRICS_TOKEN`).
enum MetricsEnvironment {
    static func token() throws -> String? {
        guard let token = KeelEnvironment.metricsToken.value else { return nil }
        // A guessable token would open the metrics (account counts, job kinds) to anyone on the network.
        guard token.count >= 16, token.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw ValidationError("KEEL_METRICS_TOKEN must be at least 16 printable characters without spaces (e.g. `openssl rand -hex 24`)")
        }
        return token
    }
}

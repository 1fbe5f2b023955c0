import Foundation
import KeelAPI
import KeelBrokers

/// Schwab settings from the environment: the app's key and secret, Keel's public URL (the callback must
/// equal the one registered with the app), and where Schwab is (the sandbox for demos).
enum SchwabEnvironment {
    static func configuration(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> SchwabConfiguration? {
        guard let key = environment["KEEL_SCHWAB_APP_KEY"], !key.isEmpty, let secret = environment["KEEL_SCHWAB_APP_SECRET"], !secret.isEmpty else { return nil }
        let publicURL = (environment["KEEL_PUBLIC_URL"] ?? "https://127.0.0.1:8182").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let callback = environment["KEEL_SCHWAB_CALLBACK_URL"] ?? publicURL + "/api/schwab/callback"
        return SchwabConfiguration(appKey: key, appSecret: secret, callbackURL: callback,
                                   baseURL: environment["KEEL_SCHWAB_BASE_URL"] ?? "https://api.schwabapi.com",
                                   ordersPerMinute: environment["KEEL_SCHWAB_ORDERS_PER_MINUTE"].flatMap(Int.init) ?? 120)
    }

    static func apply(to configuration: inout KeelConfiguration, _ environment: [String: String] = ProcessInfo.processInfo.environment) {
        configuration.schwab = Self.configuration(environment)
        configuration.secretKey = environment["KEEL_SECRET_KEY"]
    }
}

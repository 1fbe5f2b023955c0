import Foundation
import KeelAPI
import KeelBrokers

/// Schwab settings from the environment: the app's key and secret, Keel's public URL (the callback must
/// equal the one registered with the app), and where Schwab is (the sandbox for demos).
enum SchwabEnvironment {
    static func configuration() -> SchwabConfiguration? {
        guard let key = KeelEnvironment.schwabAppKey.value, let secret = KeelEnvironment.schwabAppSecret.value else { return nil }
        let publicURL = (KeelEnvironment.publicURL.value ?? "https://127.0.0.1:8182").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let callback = KeelEnvironment.schwabCallbackURL.value ?? publicURL + "/api/schwab/callback"
        return SchwabConfiguration(appKey: key, appSecret: secret, callbackURL: callback,
                                   baseURL: KeelEnvironment.schwabBaseURL.value ?? "https://api.schwabapi.com",
                                   ordersPerMinute: KeelEnvironment.schwabOrdersPerMinute.value.flatMap(Int.init) ?? 120)
    }

    static func apply(to configuration: inout KeelConfiguration) {
        configuration.schwab = Self.configuration()
        configuration.secretKey = KeelEnvironment.secretKey.value
        configuration.publicURL = KeelEnvironment.publicURL.value
    }
}

/// `POST /v1/oauth/token` response.
public struct SchwabTokenResponse: Codable, Sendable, Hashable {
    public var accessToken: String
    public var refreshToken: String?
    public var expiresIn: Int
    public var tokenType: String
    public var scope: String?
    public var idToken: String?

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token", refreshToken = "refresh_token", expiresIn = "expires_in", tokenType = "token_type"
        case scope, idToken = "id_token"
    }

    public init(accessToken: String, refreshToken: String?, expiresIn: Int, tokenType: String, scope: String?, idToken: String?) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresIn = expiresIn
        self.tokenType = tokenType
        self.scope = scope
        self.idToken = idToken
    }
}

/// RFC 6749 error body of the OAuth endpoints.
public struct SchwabOAuthErrorBody: Codable, Sendable, Hashable {
    public var error: String
    public var errorDescription: String?

    enum CodingKeys: String, CodingKey { case error, errorDescription = "error_description" }
}

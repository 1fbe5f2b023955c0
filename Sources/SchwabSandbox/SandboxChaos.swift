import Foundation

/// Faults the sandbox injects on request: each rule applies to matching requests until its count runs out.
public struct ChaosRule: Codable, Sendable, Hashable {
    public enum Fault: String, Codable, Sendable {
        case unauthorized = "401"
        case rateLimited = "429"
        case serverError = "500"
        case unavailable = "503"
        /// Answer only after `delaySeconds` (a client with a shorter timeout gives up first).
        case timeout
        /// Like `timeout`, but the request is carried out first: the order exists, the answer never comes in time.
        case timeoutAfterProcessing = "timeout_after_processing"
        case plainText404 = "plain_404"
        case htmlAccessDenied = "html_access_denied"
        /// Placed orders fill only half, the rest keeps working.
        case partialFill = "partial_fill"
        /// Placed orders are rejected with a reason.
        case rejectOrder = "reject_order"
    }

    public var fault: Fault
    /// Only requests whose path starts with this (e.g. `/trader/v1/accounts`); nil: every API request.
    public var pathPrefix: String?
    /// Only this HTTP method; nil: any.
    public var method: String?
    /// How many matching requests get the fault; nil: all of them until cleared.
    public var count: Int?
    public var retryAfterSeconds: Int?
    public var delaySeconds: Double?

    public init(fault: Fault, pathPrefix: String? = nil, method: String? = nil, count: Int? = 1, retryAfterSeconds: Int? = nil, delaySeconds: Double? = nil) {
        self.fault = fault
        self.pathPrefix = pathPrefix
        self.method = method
        self.count = count
        self.retryAfterSeconds = retryAfterSeconds
        self.delaySeconds = delaySeconds
    }

    func matches(method: String, path: String) -> Bool {
        (self.method.map { $0.uppercased() == method.uppercased() } ?? true) && (pathPrefix.map { path.hasPrefix($0) } ?? true)
    }
}

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Sends one webhook request; returns the HTTP status. The effect behind alert delivery.
public protocol WebhookSender: Sendable {
    func post(url: String, json: String) async throws -> Int
}

/// Webhooks over AsyncHTTPClient.
public struct HTTPWebhookSender: WebhookSender {
    let http: HTTPClient
    let timeout: TimeAmount

    public init(http: HTTPClient, timeout: TimeAmount = .seconds(10)) {
        self.http = http
        self.timeout = timeout
    }

    public func post(url: String, json: String) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Keel-Alerts/1")
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await http.execute(request, timeout: timeout)
        _ = try? await response.body.collect(upTo: 64 * 1024)
        return Int(response.status.code)
    }
}

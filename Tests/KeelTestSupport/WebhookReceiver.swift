import Foundation
import Vapor

/// A webhook endpoint on a free loopback port that records what it receives; the first `failFirst` requests
/// get a 503, so tests see Keel retry.
public final class WebhookReceiver: Sendable {
    public let app: Application
    public let url: String
    /// What arrived, behind a lock (requests come in on the server's event loops).
    private final class Inbox: @unchecked Sendable {
        private let lock = NSLock()
        private var requests = 0
        private var bodies: [String] = []

        func request() -> Int { lock.withLock { requests += 1; return requests } }
        func accept(_ body: String) { lock.withLock { bodies.append(body) } }
        var requestCount: Int { lock.withLock { requests } }
        var accepted: [String] { lock.withLock { bodies } }
    }

    private let recorder: Inbox

    private init(app: Application, url: String, recorder: Inbox) {
        self.app = app
        self.url = url
        self.recorder = recorder
    }

    public static func start(failFirst: Int = 0) async throws -> WebhookReceiver {
        let app = try await Application.make(.testing)
        let recorder = Inbox()
        do {
            app.logger.logLevel = .warning
            app.post("hooks") { req -> HTTPStatus in
                let count = recorder.request()
                if count <= failFirst { return .serviceUnavailable }
                let body = req.body.string ?? ""
                recorder.accept(body)
                return .ok
            }
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            guard let port = app.http.server.shared.localAddress?.port else { throw TestSetupError("the webhook receiver did not report its port") }
            return WebhookReceiver(app: app, url: "http://127.0.0.1:\(port)/hooks", recorder: recorder)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }

    /// Every request answered, failures included.
    public var requestCount: Int { recorder.requestCount }

    /// Bodies accepted (after the failures), in arrival order.
    public var received: [[String: Any]] {
        recorder.accepted.map { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:] }
    }

    /// Waits until `condition` holds on what was received (up to `timeout` seconds).
    public func wait(timeout: TimeInterval = 10, until condition: ([[String: Any]]) -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition(received) { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw TestSetupError("the webhook receiver did not get what was expected within \(timeout) s; got \(received.map { $0["kind"] ?? "?" })")
    }

    public func stop() async {
        await app.server.shutdown()
        try? await app.asyncShutdown()
    }
}

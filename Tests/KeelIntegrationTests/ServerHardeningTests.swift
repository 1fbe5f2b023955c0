import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import KeelTestSupport
import Testing
import Vapor

/// The smaller holes of a hostile review: bounded lists, date fields that answer by field, connections that
/// cannot be held open, cookies and CSRF tokens a proxy or a leaked token cannot turn against a session.
@Suite("Server hardening")
struct ServerHardeningTests {
    @Test("lists and dates at the boundary: 10,000 excluded symbols are refused by field; a date in a format the field does not take answers 422 naming it",
          arguments: TestDatabase.available)
    func boundsAndDates(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let many = (0..<10_000).map { "S\($0)" }
            let refused = try await app.request(.PUT, "/api/clients/\(scenario.clientID)/preferences", token: scenario.token, json: ["excluded_symbols": many])
            #expect(refused.status == .unprocessableEntity && refused.errorField == "excluded_symbols", "\(refused)")
            let fine = try await app.request(.PUT, "/api/clients/\(scenario.clientID)/preferences", token: scenario.token,
                                             json: ["excluded_symbols": Array(many.prefix(500))])
            #expect(fine.status == .ok, "500 names are a real list: \(fine)")

            for text in ["2027-01-05T00:00", "05/01/2027", "tomorrow", String(repeating: "9", count: 200)] {
                let response = try await app.request(.POST, "/api/autonomous/run", token: scenario.token, json: ["as_of": text])
                #expect(response.status == .unprocessableEntity && response.errorField == "as_of", "\(text): \(response)")
                #expect(response.body.contains("2027-01-05T14:30:00Z"), "the accepted formats are named: \(response)")
            }
            // A plain date is a date: it is read (midnight UTC), then judged as a date (here: in the future).
            let plain = try await app.request(.POST, "/api/autonomous/run", token: scenario.token, json: ["as_of": "2027-01-05"])
            #expect(plain.status == .unprocessableEntity && plain.errorField == "as_of" && !plain.body.contains("malformed_json"), "\(plain)")
        }
    }

    @Test("workspace cookies are Secure when the public URL is https, and CSRF tokens are an HMAC under the server's key, not a hash of the session")
    func cookiesAndCSRF() async throws {
        try await KeelTestApp.run(on: .sqlite, configure: { $0.publicURL = "https://keel.example.com" }) { app in
            let (page, session) = try await WorkspaceSessionTests.signIn(app)
            let cookie = try #require(page.setCookies["keel_session"])
            #expect(cookie.contains("Secure") && cookie.contains("HttpOnly"), "\(cookie)")
            let sessionToken = try #require(session)
            let clients = try await app.browse(.GET, "/app/clients", cookies: ["keel_session": sessionToken])
            let csrf = try #require(clients.field("csrf"))
            let bareHash = SHA256.hash(data: Data("keel-csrf:\(sessionToken)".utf8)).map { String(format: "%02x", $0) }.joined()
            #expect(csrf != bareHash, "the token is not derivable from the session token alone")
            let forged = try await app.browse(.POST, "/app/clients", cookies: ["keel_session": sessionToken],
                                              form: ["csrf": bareHash, "first_name": "Forged", "last_name": "Post", "email": "forged@example.com"])
            #expect(forged.status == .seeOther && forged.location?.hasPrefix("/app/sign-in?expired=1") == true, "\(forged.status) \(forged.location ?? "")")
            #expect(try await app.count("clients", where: "first_name = 'Forged'") == 0)
        }
        try await KeelTestApp.run(on: .sqlite) { app in
            let cookie = try #require(try await WorkspaceSessionTests.signIn(app).page.setCookies["keel_session"])
            #expect(!cookie.contains("Secure"), "plain http (no https public URL): \(cookie)")
        }
    }

    @Test("a connection that stops sending mid-headers, or sits idle, is closed after the idle timeout")
    func slowConnectionsAreClosed() async throws {
        try await KeelTestApp.run(on: .sqlite, configure: { $0.idleTimeout = 1 }) { app in
            try await app.app.server.start(address: .hostname("127.0.0.1", port: 0))
            let port = try #require(app.app.http.server.shared.localAddress?.port)
            let started = Date()
            let closed = try Self.sendAndWaitForClose(port: port, bytes: "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", wait: 15)
            let after = Date().timeIntervalSince(started)
            #expect(closed, "the server kept the half-sent request open")
            #expect(after < 10, "closed after \(after) s with an idle timeout of 1 s")
            await app.app.server.shutdown()
        }
    }

    /// Opens a TCP connection, sends `bytes`, and waits up to `wait` seconds for the server to close it.
    static func sendAndWaitForClose(port: Int, bytes: String, wait: Int) throws -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSetupError("socket") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestSetupError("connect") }
        var timeout = timeval(tv_sec: wait, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = bytes.withCString { send(fd, $0, strlen($0), 0) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let received = recv(fd, &buffer, buffer.count, 0)
        // 0: the server closed the connection; -1 with EAGAIN: still open when the wait ran out.
        return received == 0 || (received < 0 && errno == ECONNRESET)
    }
}

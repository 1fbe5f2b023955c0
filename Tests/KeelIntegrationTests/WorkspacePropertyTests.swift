import Foundation
import KeelTestSupport
import PropertyBased
import Testing
import Vapor

/// Random and hostile text in every workspace form and page query: the answer is a page (200) or a redirect inside
/// the workspace (303), never an error page, never a crash, and nothing typed ever comes back as markup.
@Suite("Workspace forms under random input (property-based)")
struct WorkspacePropertyTests {
    static func expectSafe(_ response: BrowserResponse, _ what: String, carriesNUL: Bool = false) {
        // A NUL byte in a query is refused before any route runs (RequestSanityMiddleware): a 422 naming the parameter.
        if carriesNUL && response.status == .unprocessableEntity {
            #expect(response.body.hasPrefix("<!DOCTYPE html>") && response.body.contains("NUL"), "\(what): the refusal, a page, names the NUL")
            return
        }
        #expect(response.status == .ok || response.status == .seeOther, "\(what) -> \(response.status)")
        if let location = response.location {
            #expect(location.hasPrefix("/app") || location.hasPrefix("/app/sign-in"), "\(what): a redirect stays in the workspace: \(location)")
        }
        #expect(!response.body.contains(HostileValues.injected), "\(what): typed markup came back unescaped")
        #expect(!response.body.contains(HostileValues.injectedRefresh), "\(what): a typed meta refresh came back as a tag")
        if response.status == .ok {
            // The head is the layout's alone, whatever the data: no preview tags, no refresh but the page's own.
            let head = MarkupStructure.headTags(of: response.body).filter { $0.hasPrefix("meta") }
            #expect(head.first == "meta[charset]" && head.dropFirst().allSatisfy { $0 == "meta[name,content]" || $0 == "meta[http-equiv,content]" }
                    && head.count <= 3, "\(what): head \(head)")
        }
    }

    @Test("every form and page query: a page or a redirect, no error, no markup from the input", arguments: TestDatabase.available)
    func formsAndQueries(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let cookie = try #require(try await WorkspaceSessionTests.signIn(app).session)
            let page = try await app.browse(.GET, "/app/clients/\(scenario.clientID)", cookies: ["keel_session": cookie])
            let csrf = try #require(page.field("csrf"))
            let client = scenario.clientID
            let forms: [(path: String, fields: [String])] = [
                ("/app/clients", ["first_name", "last_name", "email", "phone", "risk_tolerance"]),
                ("/app/clients/\(client)/preferences", ["portfolio_id", "max_positions", "max_weight", "cash_buffer", "drift_threshold", "max_drawdown_limit",
                                                        "derisk_action", "trading_mode", "excluded_symbols", "require_approval"]),
                ("/app/clients/\(client)/accounts", ["nickname", "starting_cash"]),
                ("/app/models/train", ["model_type", "portfolio_id", "symbols", "from", "to", "horizon_days"]),
                ("/app/backtests", ["strategy", "symbols", "from", "to", "cash", "benchmark", "slippage_bps", "schwab_fees"]),
                ("/app/goals", ["user", "name", "goal_type", "target_value", "account_hash"]),
                ("/app/autonomous/pause", ["client_id", "reason"]),
                ("/app/autonomous/override", ["client_id", "strategy", "until", "reason"]),
                ("/app/approvals/no-such-batch/reject", ["reason"]),
            ]
            let queries: [(path: String, parameters: [String])] = [
                ("/app/clients", ["q", "page"]), ("/app/data", ["symbol", "severity"]), ("/app/models", ["model", "confirm", "family", "done", "error"]),
                ("/app/backtests", ["id"]), ("/app/goals", ["user", "done", "error"]), ("/app/autonomous", ["cycle", "done", "error"]),
                ("/app/approvals", ["page", "done", "error", "reject_error"]), ("/app/jobs", ["kind"]), ("/app/clients/\(client)", ["done", "error"]),
            ]
            // Pages that showed the hostile text back (escaped): the check above is not vacuous.
            var echoed = 0
            await propertyCheck(count: 60, input: Gen.int(in: .min ... .max)) { seed in
                var values = HostileValues(seed: seed)
                let form = forms[values.int(0...(forms.count - 1))]
                var body = ["csrf": csrf]
                for field in form.fields where values.int(0...9) > 0 { body[field] = values.formText() }
                // A request that gets no answer at all (the connection dropped) is a failure, not a case to skip.
                do {
                    let response = try await app.browse(.POST, form.path, cookies: ["keel_session": cookie], form: body)
                    Self.expectSafe(response, "POST \(form.path) \(body)")
                    if response.body.contains("&lt;x-injected") { echoed += 1 }
                    // Where the form stored the text (a new client's page), the page that shows it is checked too.
                    if let location = response.location, location.hasPrefix("/app/clients/") {
                        let shown = try await app.browse(.GET, location, cookies: ["keel_session": cookie])
                        Self.expectSafe(shown, "GET \(location) after POST \(form.path) \(body)")
                        if shown.body.contains("&lt;x-injected") || shown.body.contains("&lt;meta") { echoed += 1 }
                    }
                } catch {
                    Issue.record("POST \(form.path) \(body) got no answer: \(error)")
                }
                let query = queries[values.int(0...(queries.count - 1))]
                var items = URLComponents()
                items.queryItems = query.parameters.filter { _ in values.int(0...2) > 0 }.map { URLQueryItem(name: $0, value: values.formText()) }
                let path = query.path + (items.percentEncodedQuery.map { "?" + $0.replacingOccurrences(of: "+", with: "%2B") } ?? "")
                do {
                    let response = try await app.browse(.GET, path, cookies: ["keel_session": cookie])
                    Self.expectSafe(response, "GET \(path)", carriesNUL: path.contains("%00"))
                    if response.body.contains("&lt;x-injected") { echoed += 1 }
                } catch {
                    Issue.record("GET \(path) got no answer: \(error)")
                }
            }
            #expect(echoed > 0, "some page showed the hostile text back, escaped")
            // Direct: a client whose name is a meta refresh, onboarded through the API, shown to the advisor.
            var hostileBody = Factory().client()
            hostileBody["first_name"] = "\">" + HostileValues.injectedRefresh
            let hostile = try await app.request(.POST, "/api/clients/", token: scenario.token, json: hostileBody)
            #expect(hostile.status == .ok, "the name is stored as given: \(hostile)")
            let id = try #require(hostile.object.int("client_id"))
            let shown = try await app.browse(.GET, "/app/clients/\(id)", cookies: ["keel_session": cookie])
            Self.expectSafe(shown, "the hostile client's page")
            #expect(shown.body.contains("&lt;meta http-equiv=\"refresh\""), "the name is shown, escaped")
        }
    }
}

/// Found by the property test above on PostgreSQL: a NUL in a form's text reached the database (500). Text a person
/// types is refused with its field named when it holds control characters, on both databases, in forms and the API.
@Suite("Control characters in text")
struct ControlCharacterTests {
    @Test("a NUL or another control character in a name is a 422 naming the field (API) and a form error (workspace), never a 500",
          arguments: TestDatabase.available)
    func controlCharactersAreRefused(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            for bad in ["Ada\u{0}x", "Ada\u{7}x", "Ada\u{1B}[31m"] {
                var body = Factory().client()
                body["first_name"] = bad
                let refused = try await app.request(.POST, "/api/clients/", token: scenario.token, json: body)
                #expect(refused.status == .unprocessableEntity && refused.errorField == "first_name", "\(bad.debugDescription): \(refused)")
            }
            let signIn = try await WorkspaceSessionTests.signIn(app)
            let cookie = try #require(signIn.session)
            let page = try await app.browse(.GET, "/app/clients/\(scenario.clientID)", cookies: ["keel_session": cookie])
            let csrf = try #require(page.body.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1)
            let posted = try await app.browse(.POST, "/app/clients/\(scenario.clientID)/accounts", cookies: ["keel_session": cookie],
                                              form: ["csrf": String(csrf), "nickname": "Ada\u{0}x", "starting_cash": "1000"])
            #expect(posted.status == .ok || posted.status == .seeOther, "\(posted.status)")
            #expect(posted.body.contains("control characters") || posted.location?.contains("error") == true, "\(posted.body.prefix(300))")
            #expect(try await app.count("brokerage_accounts", where: "nickname LIKE 'Ada%'") == 0)
        }
    }
}

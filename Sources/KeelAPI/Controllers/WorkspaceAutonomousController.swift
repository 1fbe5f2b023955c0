import Foundation
import KeelML
import KeelCore
import KeelServices
import KeelStore
import KeelWeb
import KeelWorkspace
import Vapor

/// The workspace's autonomous page and its controls (staff). Every action answers a redirect back to the page
/// with a fixed outcome text chosen by code.
struct WorkspaceAutonomousController: RouteCollection {
    let query: AutonomousQuery
    let cycles: AutonomousCycleService
    let controls: ClientControlService
    let system: SystemControlService
    struct ControlForm: Content {
        var clientId: Int?
        var reason: String?
        var strategy: String?
        var until: String?
        var engaged: String?

        enum CodingKeys: String, CodingKey { case clientId = "client_id", reason, strategy, until, engaged }
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.on(.GET, .autonomous, use: page).openAPI("The autonomous page: regime over the benchmark, cycles, one cycle's outcomes, controls (staff)", response: .html)
        let summaries: [WorkspaceRoute.AutonomousAction: String] = [
            .run: "Start a cycle", .pause: "Pause a client", .resume: "Resume a client", .override: "Override a client's strategy until a day",
            .killSwitch: "Engage or release the kill switch",
        ]
        for action in WorkspaceRoute.AutonomousAction.allCases {
            routes.on(.POST, .autonomousAction(action), use: { try await self.act(action, $0) })
                .openAPI("\(summaries[action] ?? action.rawValue) (form post): back to the autonomous page", status: .seeOther, response: .redirect)
        }
    }

    func page(req: Request) async throws -> Response {
        let reader = try req.pageViewer
        return try await query.load(cycle: req.queryText("cycle"), done: req.queryText("done"), error: req.queryText("error"), for: reader)
            .response(req, viewer: reader.viewer, AutonomousPage.render)
    }

    func act(_ action: WorkspaceRoute.AutonomousAction, _ req: Request) async throws -> Response {
        let principal = try req.principal
        let form = (try? req.content.decode(ControlForm.self)) ?? ControlForm()
        do {
            switch action {
            case .run:
                _ = try await cycles.run(CycleRequest(), by: principal)
            case .pause:
                guard let id = form.clientId else { throw ServiceError.invalid("client_id", "client_id is required") }
                _ = try await controls.pause(clientID: id, reason: form.reason.flatMap { $0.isEmpty ? nil : $0 }, by: principal)
            case .resume:
                guard let id = form.clientId else { throw ServiceError.invalid("client_id", "client_id is required") }
                _ = try await controls.resume(clientID: id, by: principal)
            case .override:
                guard let id = form.clientId else { throw ServiceError.invalid("client_id", "client_id is required") }
                // A day from the form's date input: the override ends at the end of that day (UTC).
                let until = try form.until.flatMap { $0.isEmpty ? nil : try FieldValidation.day($0, field: "until").date.addingTimeInterval(86_399) }
                _ = try await controls.setOverride(clientID: id, strategy: form.strategy, until: until, reason: form.reason, by: principal)
            case .killSwitch:
                _ = try await system.setKillSwitch(engaged: form.engaged == "true", reason: "from the workspace", by: principal)
            }
            return req.redirect(to: .autonomous, ["done": action.rawValue])
        } catch let error as ServiceError {
            let messages = AutonomousPage.messages
            let code = error.field.flatMap { messages[$0] == nil ? nil : $0 } ?? (error.kind == .notFound ? "client_id" : error.code)
            return req.redirect(to: .autonomous, ["error": messages[code] == nil ? "failed" : code])
        }
    }
}

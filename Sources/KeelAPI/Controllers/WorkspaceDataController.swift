import KeelServices
import KeelWeb
import KeelWorkspace
import Vapor

/// The workspace's data page: pipeline runs, quality issues by severity, one symbol's prices with indicators and the
/// recorded splits (staff); an administrator schedules a split from it.
struct WorkspaceDataController: RouteCollection {
    let query: DataQuery
    let corporateActions: CorporateActionService

    struct SplitForm: Content {
        var symbol: String?
        var exDate: String?
        var newShares: String?
        var oldShares: String?

        enum CodingKeys: String, CodingKey { case symbol, exDate = "ex_date", newShares = "new_shares", oldShares = "old_shares" }
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.on(.GET, .data, use: page)
            .openAPI("Pipeline runs with progress, quality issues by severity, a symbol's price chart with indicators, stock splits (staff)", response: .html)
        routes.on(.POST, .recordSplit, use: recordSplit)
            .openAPI("Schedule a stock split (form post, admin): back to the data page", status: .seeOther, response: .redirect)
    }

    func page(req: Request) async throws -> Response {
        let reader = try req.pageViewer
        return try await query.load(symbol: req.queryText("symbol"), severity: req.queryText("severity"), done: req.queryText("done"),
                                    error: req.queryText("error"), for: reader)
            .response(req, viewer: reader.viewer, DataPage.render)
    }

    /// Every outcome is a redirect to the splits section with a fixed code (the page maps it to its text).
    func recordSplit(req: Request) async throws -> Response {
        let principal = try req.principal
        let form = (try? req.content.decode(SplitForm.self)) ?? SplitForm()
        do {
            // A count that is not a whole number is refused by its field, as the API refuses it.
            func count(_ text: String?, _ field: String) throws -> Int? {
                guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
                guard let value = Int(text) else { throw ServiceError.invalid(field, "\(field) must be a whole number") }
                return value
            }
            let input = CorporateActionService.SplitInput(symbol: form.symbol, exDate: form.exDate?.trimmingCharacters(in: .whitespaces),
                                                          newShares: try count(form.newShares, "new_shares"), oldShares: try count(form.oldShares, "old_shares"))
            let (_, created) = try await corporateActions.recordSplit(input, by: principal)
            return req.redirect(to: .data, ["done": created ? "scheduled" : "unchanged"], fragment: "splits")
        } catch let error as ServiceError {
            let code = error.kind == .forbidden ? "forbidden"
                : error.code == "conflicting_split" ? error.code
                : error.field.flatMap { DataPage.splitMessages[$0] == nil ? nil : $0 } ?? "failed"
            return req.redirect(to: .data, ["error": code], fragment: "splits")
        }
    }
}

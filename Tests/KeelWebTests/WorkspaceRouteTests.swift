import Foundation
import KeelTestSupport
import KeelWeb
import PropertyBased
import Testing

/// Every workspace address comes from `WorkspaceRoute`: its path fills the pattern the server registers, and no
/// value can leave its segment or query parameter.
@Suite("Workspace routes")
struct WorkspaceRouteTests {
    static let all = WorkspaceRoute.everyRouteForTests

    @Test func everyPathFillsItsPattern() {
        for route in Self.all {
            let segments = route.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst(2).map(String.init)
            #expect(route.path.hasPrefix("/app"))
            #expect(route.pattern.count == (route.pattern.isEmpty ? 0 : segments.count), "\(route)")
            for (pattern, segment) in zip(route.pattern, segments) where !pattern.hasPrefix(":") {
                #expect(pattern == segment, "\(route)")
            }
        }
        #expect(Set(Self.all.map(\.pattern)).count == Self.all.count, "two routes share a pattern")
        #expect(WorkspaceRoute.client(42).path == "/app/clients/42")
        #expect(WorkspaceRoute.executeBatch(clientID: 3, batchID: "b-1").path == "/app/clients/3/batches/b-1/execute")
        #expect(WorkspaceRoute.overview.path == "/app")
    }

    @Test func queriesAndFragmentsAreEncodedAndNilValuesLeftOut() {
        #expect(WorkspaceRoute.goals.href(["user": "a b&c=d", "done": nil]) == "/app/goals?user=a%20b%26c%3Dd")
        #expect(WorkspaceRoute.approvals.href(["page": "2"], fragment: "batch-1") == "/app/approvals?page=2#batch-1")
        #expect(WorkspaceRoute.cancelGoal("../x?y#z").path == "/app/goals/..%2Fx%3Fy%23z/cancel")
    }

    @Test func noValueLeavesItsSegmentOrParameter() async {
        await propertyCheck(input: Gen.latin1.string(of: 0...40)) { value in
            let path = WorkspaceRoute.cancelGoal(value).path
            #expect(path.hasPrefix("/app/goals/") && path.hasSuffix("/cancel"))
            #expect(path.split(separator: "/", omittingEmptySubsequences: false).count == 5)
            #expect(path.removingPercentEncoding == "/app/goals/\(value)/cancel")
            let href = WorkspaceRoute.goals.href(["user": value, "done": "x"])
            #expect(href.components(separatedBy: "&").count == 2 && href.components(separatedBy: "?").count == 2 && !href.contains("#"))
            let decoded = URLComponents(string: href)?.queryItems?.first { $0.name == "user" }?.value
            #expect(decoded == value)
        }
    }
}

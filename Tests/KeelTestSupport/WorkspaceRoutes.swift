import KeelWeb

extension WorkspaceRoute {
    /// One route of every case (and every autonomous action), for the tests that check the enum against itself and
    /// against the routes the server registers.
    public static let everyRouteForTests: [WorkspaceRoute] = [
        .overview, .signIn, .signOut, .approvals, .approve(batchID: "b"), .reject(batchID: "b"), .clients, .client(7), .clientPreferences(7),
        .clientAccounts(7), .clientRebalance(7), .clientSchwab(7), .clientForm8949(7), .executeBatch(clientID: 7, batchID: "b"), .goals, .cancelGoal("g"), .models,
        .trainModel, .deployModel("m"), .rollbackModel, .autonomous, .data, .recordSplit, .backtests, .jobs, .alerts,
    ] + AutonomousAction.allCases.map { .autonomousAction($0) }
}

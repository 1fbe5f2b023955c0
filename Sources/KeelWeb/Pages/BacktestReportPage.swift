import Plot

/// A backtest's report as a page of its own (the API's `/report` and `keel backtest --report`): the same report
/// section the workspace shows, in the chrome without navigation. Self-contained: inline styles and SVG, no
/// scripts, fonts or images from the network.
public enum BacktestReportPage {
    public static func render(_ report: BacktestsPage.Model.Report) -> String {
        PageLayout.document(title: "Backtest: \(report.row.strategy)", section: nil, viewer: nil, content: BacktestsPage.report(report))
    }
}

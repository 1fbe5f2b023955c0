import Foundation

/// One walk-forward step over a dataset's day indices: fit on `train`, tune on `validation`, score on `test`.
/// Between each pair lies an embargo of `horizonDays`, so no training label window reaches into the days after.
public struct WalkForwardWindow: Sendable, Hashable, Codable {
    public var train: Range<Int>
    public var validation: Range<Int>
    public var test: Range<Int>
}

public struct WalkForwardSplit: Sendable {
    public enum Scheme: String, Sendable, Codable { case expanding, rolling }

    public var scheme: Scheme
    public var testDays: Int
    public var validationDays: Int
    public var minimumTrainDays: Int

    public init(scheme: Scheme = .expanding, testDays: Int = 63, validationDays: Int = 63, minimumTrainDays: Int = 252) {
        self.scheme = scheme
        self.testDays = max(1, testDays)
        self.validationDays = max(1, validationDays)
        self.minimumTrainDays = max(1, minimumTrainDays)
    }

    /// Windows over `dayCount` days with labels `horizonDays` long. A training row on day d has a label that ends
    /// on day d + horizon, so training stops `horizonDays` before validation starts, and validation the same
    /// before the test window.
    public func windows(dayCount: Int, horizonDays: Int) -> [WalkForwardWindow] {
        let embargo = max(1, horizonDays)
        var windows: [WalkForwardWindow] = []
        var testStart = minimumTrainDays + embargo + validationDays + embargo
        // The last test day needs its own label: it must end `horizonDays` before the data does.
        let lastLabelledDay = dayCount - embargo
        while testStart < lastLabelledDay {
            let testEnd = min(testStart + testDays, lastLabelledDay)
            let validationEnd = testStart - embargo
            let validationStart = validationEnd - validationDays
            let trainEnd = validationStart - embargo
            let trainStart = scheme == .expanding ? 0 : max(0, trainEnd - minimumTrainDays)
            guard trainEnd - trainStart >= minimumTrainDays, validationStart >= 0 else { break }
            windows.append(WalkForwardWindow(train: trainStart..<trainEnd, validation: validationStart..<validationEnd, test: testStart..<testEnd))
            testStart = testEnd
        }
        return windows
    }
}

import Foundation
import KeelCore
import Testing

@Suite("Significance statistics")
struct SignificanceStatisticsTests {
    @Test("normal and Student-t quantiles match tabulated values")
    func quantiles() {
        #expect(abs(NormalDistribution.quantile(0.975) - 1.959964) < 1e-6)
        #expect(abs(NormalDistribution.quantile(0.0228) + 1.999077) < 1e-4)
        #expect(abs(NormalDistribution.cdf(1.644854) - 0.95) < 1e-6)
        #expect(abs(StudentTDistribution.quantile(0.975, degreesOfFreedom: 10) - 2.228139) < 0.005)
        #expect(abs(StudentTDistribution.quantile(0.975, degreesOfFreedom: 5) - 2.570582) < 0.01)
        #expect(abs(StudentTDistribution.quantile(0.95, degreesOfFreedom: 30) - 1.697261) < 0.001)
        #expect(abs(StudentTDistribution.quantile(0.975, degreesOfFreedom: 2) - 4.302653) < 1e-6)
        #expect(NormalDistribution.quantile(1.5).isNaN && StudentTDistribution.quantile(-1, degreesOfFreedom: 3).isNaN)
    }

    @Test("Newey-West: the t of overlapping sums of white noise stays near unit spread where the plain t spreads by about sqrt(h)")
    func neweyWestOnOverlap() {
        var generator = SeededGenerator(seed: 5)
        let horizon = 20
        var hac: [Double] = [], plain: [Double] = []
        for _ in 0..<300 {
            let noise = (0..<1_020).map { _ in generator.nextNormal() }
            let overlapping = (0..<1_000).map { start in noise[start..<(start + horizon)].reduce(0, +) }
            hac.append(NeweyWestMean(overlapping, lags: NeweyWestMean.lags(horizon: horizon, observations: 1_000)).tStatistic)
            plain.append(NeweyWestMean(overlapping, lags: 0).tStatistic)
        }
        func spread(_ values: [Double]) -> Double {
            let mean = values.reduce(0, +) / Double(values.count)
            return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
        }
        #expect(spread(hac) < 1.25, "HAC t spread \(spread(hac))")
        #expect(spread(plain) > 3.5, "plain t spread \(spread(plain))")
        #expect(NeweyWestMean([1], lags: 3).tStatistic == 0 && NeweyWestMean([], lags: 0).tStatistic == 0)
        #expect(NeweyWestMean([2, 2, 2], lags: 1).tStatistic == 0, "no variance: t = 0, not infinity")
    }

    @Test("deflated Sharpe: more trials lower the probability of the same returns; one trial is the probabilistic Sharpe ratio")
    func deflatedSharpe() {
        var generator = SeededGenerator(seed: 9)
        let returns = (0..<750).map { _ in 0.0008 + 0.01 * generator.nextNormal() }
        let one = DeflatedSharpeRatio(returns: returns, trials: 1)
        let twenty = DeflatedSharpeRatio(returns: returns, trials: 20)
        #expect(one.expectedMaximumSharpe == 0 && one.probability > 0.9, "\(one)")
        #expect(twenty.probability < one.probability && twenty.expectedMaximumSharpe > 0, "\(twenty)")
        #expect(DeflatedSharpeRatio(returns: [0.01, .nan], trials: 3).probability == 0, "too few finite returns: no evidence")
    }
}

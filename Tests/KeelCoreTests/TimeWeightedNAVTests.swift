import KeelCore
import Testing

@Suite("Time-weighted NAV")
struct TimeWeightedNAVTests {
    /// Chains a day list of (value, net flow) into NAVs.
    static func navs(_ days: [(value: Double, flow: Double)]) -> [Double] {
        var result: [Double] = []
        var previous: (nav: Double, value: Double)?
        for day in days {
            let nav = TimeWeightedNAV.next(previousNAV: previous?.nav, previousValue: previous?.value, value: day.value, netFlow: day.flow)
            result.append(nav)
            previous = (nav, day.value)
        }
        return result
    }

    @Test func flowsAreNeitherGainsNorLosses() {
        // +1% a day; a 50,000 deposit on day 2 and a 60,000 withdrawal on day 4.
        let navs = Self.navs([(100_000, 0), (101_000, 0), (152_010, 50_000), (153_530.1, 0), (95_065.401, -60_000)])
        #expect(navs[0] == 100_000)
        for i in 1..<navs.count { #expect(abs(navs[i] / navs[i - 1] - 1.01) < 1e-9, "day \(i): \(navs)") }
        let withdrawalIsNoDrawdown = AccountRiskMonitor(maxDrawdown: 0.1, maxVolatility: nil)
            .assess(values: navs, highWaterMark: navs.max(), currentlyDerisked: false)
        #expect(!withdrawalIsNoDrawdown.breached && withdrawalIsNoDrawdown.drawdown == 0)
        // The raw values would have called the withdrawal a 38% drawdown.
        #expect(AccountRiskMonitor(maxDrawdown: 0.1, maxVolatility: nil).assess(values: [152_010, 153_530.1, 95_065.401], currentlyDerisked: false).breached)
    }

    @Test func aLossHiddenByADepositStillCounts() {
        // Down 20% on the day a deposit doubles the account: the value rises, the NAV falls 20%.
        let navs = Self.navs([(100_000, 0), (180_000, 100_000)])
        #expect(abs(navs[1] - 80_000) < 1e-6)
    }

    @Test func emptyAccountsAndBadNumbersAreSafe() {
        #expect(TimeWeightedNAV.periodReturn(previousValue: 0, value: 10, netFlow: 10) == nil)
        #expect(TimeWeightedNAV.periodReturn(previousValue: .nan, value: 10, netFlow: 0) == nil)
        // Emptied by a withdrawal, then funded again: the NAV carries over the empty day.
        let navs = Self.navs([(100_000, 0), (0, -100_000), (50_000, 50_000), (55_000, 0)])
        #expect(navs[1] == 100_000 && navs[2] == 100_000)
        #expect(abs(navs[3] - 110_000) < 1e-6)
        #expect(TimeWeightedNAV.next(previousNAV: 100, previousValue: 100, value: -50, netFlow: 0) == 0, "never negative")
        #expect(TimeWeightedNAV.next(previousNAV: nil, previousValue: nil, value: .infinity, netFlow: 0) == 0)
    }
}

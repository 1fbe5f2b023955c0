extension Indicators {
    /// Rate of change in percent over `period` bars (TA-Lib ROC); first value at `period`.
    public static func roc(_ values: [Double], period: Int = 10) -> [Double] {
        map(values) { x, out in
            guard period > 0, x.count > period else { return }
            for i in period..<x.count {
                let base = x[i - period]
                out[i] = base != 0 ? (x[i] / base - 1) * 100 : 0
            }
        }
    }

    /// Momentum: the price change over `period` bars (TA-Lib MOM); first value at `period`.
    public static func momentum(_ values: [Double], period: Int = 10) -> [Double] {
        map(values) { x, out in
            guard period > 0, x.count > period else { return }
            for i in period..<x.count { out[i] = x[i] - x[i - period] }
        }
    }
}

/// Shared plumbing of the indicator library. Every indicator reads contiguous columns and writes into one
/// preallocated output; bars inside the warm-up are NaN, exactly where TA-Lib has no value.
public enum Indicators {
    /// An output column of `count` NaNs, filled by an indicator's loop.
    @inline(__always)
    static func column(_ count: Int) -> [Double] {
        [Double](repeating: .nan, count: count)
    }

    /// Runs `body` with read access to `input` and write access to a fresh output column.
    @inline(__always)
    static func map(_ input: [Double], _ body: (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Void) -> [Double] {
        var output = column(input.count)
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in body(source, target) }
        }
        return output
    }
}

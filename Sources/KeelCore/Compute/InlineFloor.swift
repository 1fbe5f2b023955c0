extension Double {
    /// `rounded(.down)` without a call on x86-64. The portable x86-64 target has no rounding instruction (that is
    /// SSE4.1), so `rounded(.down)` calls libm's `floor`, and a call clobbers every vector register a hot loop keeps
    /// its numbers in. Truncating through an integer is exact below 2^52, where a double may have a fraction; at and
    /// above it (and for ±0, ±infinity and NaN) the value is its own floor. Bit for bit `rounded(.down)`.
    @inlinable @inline(__always)
    public var flooredInline: Double {
        #if arch(x86_64)
        guard abs(self) < 4_503_599_627_370_496, self != 0 else { return self }
        let truncated = Double(Int64(self))
        return truncated > self ? truncated - 1 : truncated
        #else
        return rounded(.down)
        #endif
    }
}

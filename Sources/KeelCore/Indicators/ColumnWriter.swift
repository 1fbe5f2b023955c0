import CKeelMemory

/// How an indicator loop stores into its output column: through the cache, or past it.
protocol ColumnWriter {
    static func write(_ value: Double, to column: UnsafeMutableBufferPointer<Double>, at index: Int)
}

/// Ordinary stores: the values stay in the cache for whoever reads them next.
enum CachedColumnWriter: ColumnWriter {
    @inline(__always)
    static func write(_ value: Double, to column: UnsafeMutableBufferPointer<Double>, at index: Int) {
        column[index] = value
    }
}

/// Non-temporal stores: no line is read before it is written, and the columns being read stay cached. For columns
/// far larger than the cache; the caller fences before another thread reads them.
enum StreamingColumnWriter: ColumnWriter {
    @inline(__always)
    static func write(_ value: Double, to column: UnsafeMutableBufferPointer<Double>, at index: Int) {
        assert(index >= 0 && index < column.count, "index out of the column")
        keel_store_streaming(column.baseAddress! + index, value)
    }
}

/// At most `limit` holders at once; the rest wait in order. Swift Testing starts every test at once, and each
/// PostgreSQL test app opens its own connection pool: unbounded, the server's max_connections (100) runs out.
public actor TestSlots {
    public static let postgres = TestSlots(limit: 6)

    private let limit: Int
    private var taken = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(limit: Int) {
        self.limit = limit
    }

    public func acquire() async {
        if taken < limit {
            taken += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    public func release() {
        if waiting.isEmpty {
            taken -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

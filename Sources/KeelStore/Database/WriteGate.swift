/// Serialises write transactions on SQLite. SQLite allows one writer; two deferred transactions that both
/// read and then write can deadlock (SQLITE_BUSY without retry), so Keel's own writes queue here instead.
/// PostgreSQL needs no gate: its row locks do this job.
actor WriteGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}

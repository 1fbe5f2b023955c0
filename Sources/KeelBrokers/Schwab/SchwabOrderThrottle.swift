import Foundation

/// Client-side limit on order requests per account (Schwab rejects orders above the app's registered rate):
/// a sliding one-minute window; callers wait for a free slot instead of being rejected.
actor SchwabOrderThrottle {
    private let perMinute: Int
    private var sent: [String: [Date]] = [:]

    init(perMinute: Int) {
        self.perMinute = perMinute
    }

    /// Seconds to wait before the next order of this account may go out (0 when it may go now); records it.
    func reserve(account: String, now: Date) -> TimeInterval {
        guard perMinute > 0 else { return 0 }
        var times = (sent[account] ?? []).filter { now.timeIntervalSince($0) < 60 }
        var wait: TimeInterval = 0
        if times.count >= perMinute, let oldest = times.first {
            wait = 60 - now.timeIntervalSince(oldest)
            times.removeFirst()
        }
        times.append(now.addingTimeInterval(wait))
        sent[account] = times
        return max(wait, 0)
    }
}

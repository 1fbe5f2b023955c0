import Foundation
import KeelCore
import KeelServices
import KeelStore
import Vapor

struct PipelineRunRequest: Content {
    var mode: String?
    /// "csv" or "simulator".
    var source: String?
    var path: String?
    var symbol: String?
    var interval: String?
    var asOf: String?
    var seed: UInt64?
    var symbols: [String]?
    /// Schwab source: the client whose login reads the prices, and how many years of daily bars.
    var clientId: Int?
    var years: Int?
    var from: String?
    var to: String?
    /// Quality policy overrides by severity, e.g. {"error": "accept"}.
    var policy: [String: String]?
    /// Run to completion before answering (otherwise 202 and the run continues in the background).
    var wait: Bool?
}

struct PipelineRunResponse: Content {
    var runId: String
    /// The job that runs it, when it was started in the background (GET /api/jobs/{job_id}).
    var jobId: String?
    var mode: String
    var status: String
    var source: String
    var items: Int
    var cursor: Int
    var barsFetched: Int
    var barsStored: Int
    var barsRejected: Int
    var barsQuarantined: Int
    var issuesFound: Int
    var itemCounts: [String: ItemCountsResponse]
    var error: String?
    var startedBy: String
    var startedAt: Date
    var finishedAt: Date?

    struct ItemCountsResponse: Content {
        var fetched, stored, rejected, quarantined, issues: Int
        var notes: [String]
    }

    init(_ run: PipelineRunRecord) {
        runId = run.runID
        mode = run.mode
        status = run.status.rawValue
        source = run.source
        items = run.symbols.count
        cursor = run.cursor
        barsFetched = run.barsFetched
        barsStored = run.barsStored
        barsRejected = run.barsRejected
        barsQuarantined = run.barsQuarantined
        issuesFound = run.issuesFound
        let counts = (try? JSONDecoder().decode([String: ItemCounts].self, from: Data(run.symbolCounts.utf8))) ?? [:]
        itemCounts = counts.mapValues {
            ItemCountsResponse(fetched: $0.fetched, stored: $0.stored, rejected: $0.rejected, quarantined: $0.quarantined, issues: $0.issues, notes: $0.notes)
        }
        error = run.error
        startedBy = run.startedBy
        startedAt = run.startedAt
        finishedAt = run.finishedAt
    }
}

struct QualityIssueResponse: Content {
    var symbol: String
    var interval: String
    var time: Date
    var kind: String
    var severity: String
    var action: String
    var detail: String
    var runId: String?
}

struct QualityReportResponse: Content {
    struct Count: Content {
        var kind: String
        var severity: String
        var count: Int
    }

    var counts: [Count]
    var issues: [QualityIssueResponse]
}

struct BarResponse: Content {
    var time: Date
    var open: Double
    var high: Double
    var low: Double
    var close: Double
    var adjClose: Double?
    var volume: Double
    var quality: String
}

struct IndicatorRowsResponse: Content {
    var symbol: String
    var interval: String
    var columns: [String]
    var times: [Date]
    /// One array per column name; null during warm-up.
    var values: [[Double?]]
}

struct FundamentalsResponse: Content {
    var symbol: String
    var asOf: Date
    var name: String?
    var sector: String?
    var subIndustry: String?
    var price: Double?
    var peRatio: Double?
    var dividendYield: Double?
    var eps: Double?
    var week52Low: Double?
    var week52High: Double?
    var marketCap: Double?
    var ebitda: Double?
    var priceToSales: Double?
    var priceToBook: Double?

    init(_ s: FundamentalSnapshot) {
        symbol = s.symbol
        asOf = s.asOf
        name = s.name
        sector = s.sector
        subIndustry = s.subIndustry
        price = s.price
        peRatio = s.peRatio
        dividendYield = s.dividendYield
        eps = s.eps
        week52Low = s.week52Low
        week52High = s.week52High
        marketCap = s.marketCap
        ebitda = s.ebitda
        priceToSales = s.priceToSales
        priceToBook = s.priceToBook
    }
}

struct FeaturesResponse: Content {
    struct Row: Content {
        var symbol: String
        var date: Date
        var values: [Double?]
    }

    var names: [String]
    var rows: [Row]
}

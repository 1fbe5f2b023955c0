import ArgumentParser
import Foundation
import KeelServices
import KeelStore

struct DataQualityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "quality", abstract: "Report data-quality issues found by the pipeline.")

    enum Format: String, ExpressibleByArgument { case text, json }

    @OptionGroup var database: DatabaseOptions

    @ArgumentParser.Option(help: "Only this symbol.")
    var symbol: String?

    @ArgumentParser.Option(help: "Only this severity: warning, error or critical.")
    var severity: SeverityOption?

    @ArgumentParser.Option(help: "text or json.")
    var format: Format = .text

    @ArgumentParser.Option(help: "At most this many issues are listed.")
    var limit = 1000

    func run() async throws {
        let (issues, counts) = try await CLIApplication.run(database: database) { services in
            (try await services.marketData.issues(symbol: symbol, severity: severity?.rawValue, kind: nil, limit: limit),
             try await services.marketData.issueCounts(symbol: symbol).map { "\($0.kind)\t\($0.severity)\t\($0.count)" })
        }
        switch format {
        case .json:
            struct Row: Encodable { var symbol, interval, time, kind, severity, action, detail: String }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let formatter = ISO8601DateFormatter()
            let rows = issues.map { Row(symbol: $0.symbol, interval: $0.interval, time: formatter.string(from: $0.timestamp), kind: $0.kind,
                                        severity: $0.severity, action: $0.action, detail: $0.detail) }
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        case .text:
            print("kind\tseverity\tcount")
            counts.forEach { print($0) }
            print("")
            let formatter = ISO8601DateFormatter()
            for issue in issues {
                print("\(issue.symbol)\t\(issue.interval)\t\(formatter.string(from: issue.timestamp))\t\(issue.severity)\t\(issue.kind)\t\(issue.action)\t\(issue.detail)")
            }
        }
    }
}

import ArgumentParser
import Foundation
import Logging

enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

enum LogLevelOption: String, ExpressibleByArgument, CaseIterable {
    case trace, debug, info, notice, warning, error, critical

    var level: Logger.Level { Logger.Level(rawValue: rawValue) ?? .info }
}

/// `--log-level` (or LOG_LEVEL) and `--log-format text|json` (or KEEL_LOG_FORMAT) for the long-running commands.
struct LogOptions: ParsableArguments {
    @ArgumentParser.Option(help: "Lowest level logged (default: $LOG_LEVEL or info).")
    var logLevel: LogLevelOption?

    @ArgumentParser.Option(help: "Log lines as text or as one JSON object per line (default: $KEEL_LOG_FORMAT or text).")
    var logFormat: LogFormat?

    var level: Logger.Level {
        logLevel?.level ?? KeelEnvironment.logLevel.value.flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
    }

    var format: LogFormat {
        logFormat ?? KeelEnvironment.logFormat.value.flatMap { LogFormat(rawValue: $0.lowercased()) } ?? .text
    }

    func bootstrap() {
        let level = self.level, format = self.format
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = format == .json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// One JSON object per line on standard error: time, level, label, message, and the metadata (request_id,
/// batch_id, job_id, …) as string fields.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata.merging(metadataProvider?.get() ?? [:], uniquingKeysWith: { $1 })
            .merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields[key] = "\(value)"
        }
        fields["time"] = ISO8601DateFormatter().string(from: Date())
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["message"] = "\(event.message)"
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return }
        FileHandle.standardError.write(data + Data("\n".utf8))
    }
}

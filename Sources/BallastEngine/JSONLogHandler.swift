import BallastCore
import Foundation
import Logging

/// Logs for machines (`--log-format json`): one JSON object per line, for Loki, Elasticsearch
/// and the like. `time` (RFC 3339 with fractions), `level`, `message`, `label` and `source`,
/// then each metadata key (`id`, `site`, `action`, `revision`, `error`, …) as a field of its
/// own; a metadata key that would overwrite one of those five gets a trailing `_`. Keys are
/// sorted, so equal events give equal lines.
///
/// Wrap it in ``RedactingLogHandler``, as the text handler is: secrets are taken out first.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    /// `write` gets each line, newline included (standard error, written whole).
    public init(label: String, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static let reserved: Set<String> = ["time", "level", "message", "label", "source"]

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let given = event.metadata { merged.merge(given) { _, new in new } }
        if let error = event.error { merged["error"] = .string("\(error)") }
        var fields = Fields()
        for (key, value) in merged { fields[Self.reserved.contains(key) ? key + "_" : key] = Self.value(value) }
        fields["time"] = .string(Timestamp.string(Date(), fractionalSeconds: true))
        fields["level"] = .string(event.level.rawValue)
        fields["message"] = .string(event.message.description)
        fields["label"] = .string(label)
        fields["source"] = .string(event.source)
        write(JSONText.string(.map(fields)) + "\n")
    }

    static func value(_ metadata: Logger.Metadata.Value) -> Value {
        switch metadata {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let items): .list(items.map(value))
        case .dictionary(let entries): .map(Fields(entries.mapValues(value)))
        }
    }
}

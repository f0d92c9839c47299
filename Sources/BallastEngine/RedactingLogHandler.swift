import BallastCore
import Logging

/// A log handler that takes known secret values out of every message and metadata value before
/// the handler it wraps writes them: a plugin that logs the password it was sent on stderr, or a
/// provider error with the secret in it, never reaches a log.
public struct RedactingLogHandler: LogHandler {
    public var wrapped: any LogHandler
    public let redactor: SecretRedactor

    public init(wrapping wrapped: any LogHandler, redactor: SecretRedactor) {
        self.wrapped = wrapped
        self.redactor = redactor
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = "\(redactor.redact(event.message.description))"
        event.metadata = event.metadata?.mapValues { redact($0) }
        if let error = event.error {
            // An error's text may carry a secret too: it travels as redacted metadata.
            var metadata = event.metadata ?? [:]
            metadata["error"] = .string(redactor.redact("\(error)"))
            event.metadata = metadata
            event.error = nil
        }
        wrapped.log(event: event)
    }

    private func redact(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(redactor.redact(text))
        case .stringConvertible(let convertible): .string(redactor.redact(convertible.description))
        case .array(let items): .array(items.map(redact))
        case .dictionary(let entries): .dictionary(entries.mapValues(redact))
        }
    }
}

import BallastCore
import Logging

/// A log handler that takes known secret values out of every message and metadata value before
/// the handler it wraps writes them: a plugin that logs the password it was sent on stderr, or a
/// provider error with the secret in it, never reaches a log. What is left is escaped for a
/// terminal (``TerminalText``): a plugin's stderr line cannot send escape sequences either.
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
        event.message = "\(clean(event.message.description))"
        event.metadata = event.metadata?.mapValues { redact($0) }
        if let error = event.error {
            // An error's text may carry a secret too: it travels as redacted metadata.
            var metadata = event.metadata ?? [:]
            metadata["error"] = .string(clean("\(error)"))
            event.metadata = metadata
            event.error = nil
        }
        wrapped.log(event: event)
    }

    private func clean(_ text: String) -> String {
        TerminalText.escaping(redactor.redact(text))
    }

    private func redact(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(clean(text))
        case .stringConvertible(let convertible): .string(clean(convertible.description))
        case .array(let items): .array(items.map(redact))
        case .dictionary(let entries): .dictionary(entries.mapValues(redact))
        }
    }
}

import Foundation
import Synchronization

/// Removes known secret values from text that came from outside (a provider's or a plugin's
/// error, a log line) before Ballast prints, logs, stores or serves it.
///
/// One redactor is shared by a run: secret resolution teaches it the values, and the executor
/// (journal, inventory, reports, watch conditions) and the log handler pass text through it.
/// Values shorter than ``minimumLength`` are not redacted: replacing every `a` in a message
/// would destroy it without protecting anything.
public final class SecretRedactor: Sendable {
    public static let minimumLength = 4
    public static let replacement = "(sensitive)"
    /// Longest first, so that a secret containing another is replaced whole.
    private let values = Mutex<[String]>([])

    public init(_ secrets: some Sequence<String> = [String]()) {
        learn(secrets)
    }

    /// Adds secret values; repeated values are kept once.
    public func learn(_ secrets: some Sequence<String>) {
        let fresh = secrets.filter { $0.count >= Self.minimumLength }
        guard !fresh.isEmpty else { return }
        values.withLock { values in
            values = Array(Set(values).union(fresh)).sorted { ($0.count, $0) > ($1.count, $1) }
        }
    }

    public func learn(_ secrets: [ReferenceExpression: String]) {
        learn(secrets.values)
    }

    /// `text` with every known secret value replaced by `(sensitive)`.
    public func redact(_ text: String) -> String {
        let known = values.withLock { $0 }
        guard !known.isEmpty else { return text }
        var result = text
        for value in known where result.contains(value) {
            result = result.replacingOccurrences(of: value, with: Self.replacement)
        }
        return result
    }
}

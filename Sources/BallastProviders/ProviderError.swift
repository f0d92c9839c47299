import BallastCore

/// A typed provider failure that says whether trying again can help.
public struct ProviderError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, Codable {
        /// Rate limited: retry later.
        case throttled
        /// The call took too long: retry.
        case timeout
        /// The site or service cannot be reached now (outage, refused connection): retry.
        case unavailable
        /// A conflicting change is in progress: retry.
        case conflict
        /// The request is wrong (bad spec, unsupported value): do not retry.
        case invalid
        /// Credentials or permissions are missing: do not retry.
        case forbidden
        /// The resource does not exist where it must.
        case notFound
        /// Anything else the provider could not classify: do not retry.
        case failed
    }

    public var code: Code
    public var message: String
    public var id: ResourceID?

    public init(_ code: Code, _ message: String, id: ResourceID? = nil) {
        self.code = code
        self.message = message
        self.id = id
    }

    /// Whether the same call may succeed if tried again.
    public var isRetryable: Bool {
        switch code {
        case .throttled, .timeout, .unavailable, .conflict: true
        case .invalid, .forbidden, .notFound, .failed: false
        }
    }

    public var description: String {
        "\(code.rawValue)\(isRetryable ? " (retryable)" : ""): \(message)"
    }
}

import BallastState

/// Where events go: an HTTP endpoint taking CloudEvents (Knative, EventBridge API destinations,
/// Event Grid, a Kafka HTTP bridge), or a test double.
public protocol EventSink: Sendable {
    /// The sink as logs and metrics name it: never credentials.
    var name: String { get }
    /// The key of this sink's cursor in the outbox: the same for the same sink configured again
    /// (so delivery continues where it stopped), different for different sinks, and never
    /// containing credentials.
    var key: String { get }
    /// Delivers one event. Returns once the sink accepted it; throws when it did not, saying
    /// whether sending it again can help (``EventSinkError/isRetryable``). It gives up after a
    /// bounded time: a sink that never answers fails the attempt, it does not stall delivery.
    func deliver(_ event: OutboxEvent) async throws(EventSinkError)
}

/// Why a sink did not take an event.
public struct EventSinkError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Unreachable, timed out, or answered 5xx, 408, 429, 401, 403 or 404: the event stays in the
    /// outbox and is sent again. False: the sink rejected this event as such (400, 413, 415,
    /// 422); sending it again cannot help, and it is skipped.
    public var isRetryable: Bool
    public var message: String

    public init(retryable: Bool, _ message: String) {
        self.isRetryable = retryable
        self.message = message
    }

    /// The one rule for an HTTP status a sink answered with.
    public static func status(_ code: Int, body: String) -> EventSinkError? {
        guard !(200..<300).contains(code) else { return nil }
        let rejected: Set<Int> = [400, 413, 415, 422]
        return EventSinkError(retryable: !rejected.contains(code), "the sink answered \(code)\(body.isEmpty ? "" : ": \(body.prefix(200))")")
    }

    public var description: String { message }
}

import CoreMetrics

/// The metrics of event delivery, per sink, made from an injected factory.
public struct EventMetrics: Sendable {
    private let factory: any MetricsFactory

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    private func counter(_ label: String, _ sink: String) -> Counter {
        Counter(label: label, dimensions: [("sink", sink)], factory: factory)
    }

    /// Events a sink took.
    public func delivered(_ count: Int, sink: String) { counter("ballast_events_delivered_total", sink).increment(by: count) }
    /// Delivery attempts that failed and will be tried again.
    public func failedAttempt(sink: String) { counter("ballast_events_delivery_failures_total", sink).increment() }
    /// Events the sink rejected as such (skipped, never sent again).
    public func rejected(sink: String) { counter("ballast_events_rejected_total", sink).increment() }
    /// Events dropped undelivered because the outbox was full.
    public func dropped(_ count: Int, sink: String) { counter("ballast_events_dropped_total", sink).increment(by: count) }
}

import BallastProviders
import BallastState
import Logging

/// Delivers the outbox to the event sinks: at-least-once, in order per subject, with backoff.
///
/// Per sink, one loop reads a batch after the sink's cursor and posts it. Events about
/// different subjects go out on a few lanes at once; the events of one subject go one after
/// the other, in outbox order. The cursor then moves past the longest run of events the sink
/// took, so a failure or a crash sends the rest again, with the same ids: a sink may see an
/// event twice, and never sees an event about a resource before an earlier one about it.
/// A separate loop keeps the outbox bounded (``EventOutbox/trimOutbox(keeping:sinks:)``).
public struct EventDelivery: Sendable {
    public static let defaultOutboxLimit = 10_000

    public var outbox: any EventOutbox
    public var sinks: [any EventSink]
    /// At most this many events are kept; past it the oldest are dropped and counted.
    public var outboxLimit: Int
    public var batchSize: Int
    public var lanes: Int
    public var retry: RetryPolicy
    /// How often an idle sink's loop looks for new events, when not woken sooner.
    public var idlePoll: Duration
    /// Whether this process delivers now (among replicas, only the leader does: two deliverers
    /// would interleave their redeliveries).
    public var isDeliverer: @Sendable () async -> Bool
    public var clock: any ControllerClock
    public var metrics: EventMetrics
    public var logger: Logger
    /// One per sink: a ``WakeSignal`` has one waiter, and each sink's loop waits on its own.
    private let wakes: [WakeSignal]

    public init(
        outbox: any EventOutbox, sinks: [any EventSink], outboxLimit: Int = Self.defaultOutboxLimit, batchSize: Int = 100, lanes: Int = 4,
        retry: RetryPolicy = .eventDelivery, idlePoll: Duration = .seconds(1), isDeliverer: @escaping @Sendable () async -> Bool = { true },
        clock: any ControllerClock = SystemControllerClock(), metrics: EventMetrics, logger: Logger
    ) {
        self.outbox = outbox
        self.sinks = sinks
        self.outboxLimit = max(1, outboxLimit)
        self.batchSize = max(1, batchSize)
        self.lanes = max(1, lanes)
        self.retry = retry
        self.idlePoll = idlePoll
        self.isDeliverer = isDeliverer
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
        wakes = sinks.map { _ in WakeSignal() }
    }

    /// Called by whoever writes events, so that every waiting sink loop starts at once.
    public func wakeUp() {
        for wake in wakes { wake.signal() }
    }

    /// Delivers until the task is cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for (sink, wake) in zip(sinks, wakes) {
                group.addTask { await self.deliverForever(to: sink, wake: wake) }
            }
            group.addTask { await self.trimForever() }
        }
    }

    /// For one-off commands: delivers what the outbox holds until every sink has it or
    /// `timeout` passes. Returns the sinks that have not taken everything, by name.
    public func drain(within timeout: Duration) async -> [String] {
        let deadline = clock.now + timeout
        var waiting: [String] = []
        for sink in sinks {
            var failures = 0
            delivering: while true {
                switch await round(sink) {
                case .idle:
                    break delivering
                case .delivered:
                    failures = 0
                    if clock.now >= deadline {
                        waiting.append(sink.name)
                        break delivering
                    }
                case .failed:
                    failures += 1
                    let next = clock.now + retry.delay(afterAttempt: failures)
                    guard next < deadline, (try? await clock.sleep(until: next)) != nil else {
                        waiting.append(sink.name)
                        break delivering
                    }
                }
            }
        }
        await trim()
        return waiting
    }

    private func deliverForever(to sink: any EventSink, wake: WakeSignal) async {
        var failures = 0
        while !Task.isCancelled {
            guard await isDeliverer() else {
                _ = await wake.wait(for: idlePoll, clock: clock)
                continue
            }
            switch await round(sink) {
            case .delivered:
                failures = 0
            case .idle:
                failures = 0
                _ = await wake.wait(for: idlePoll, clock: clock)
            case .failed:
                failures += 1
                try? await clock.sleep(for: retry.delay(afterAttempt: failures))
            }
        }
    }

    /// Every process that writes events keeps the outbox bounded, deliverer or not: a replica
    /// whose leader has no sink configured must not fill the state.
    private func trimForever() async {
        while !Task.isCancelled {
            await trim()
            try? await clock.sleep(for: idlePoll)
        }
    }

    private func trim() async {
        do {
            let dropped = try await outbox.trimOutbox(keeping: outboxLimit, sinks: sinks.map(\.key))
            for sink in sinks {
                guard let count = dropped[sink.key], count > 0 else { continue }
                metrics.dropped(count, sink: sink.name)
                logger.warning("events dropped: the outbox is full", metadata: ["sink": "\(sink.name)", "dropped": "\(count)", "limit": "\(outboxLimit)"])
            }
        } catch {
            logger.warning("could not trim the event outbox", metadata: ["error": "\(error)"])
        }
    }

    enum Round { case idle, delivered, failed }

    /// One batch to one sink.
    func round(_ sink: any EventSink) async -> Round {
        let batch: OutboxBatch
        do {
            batch = try await outbox.outbox(sink: sink.key, limit: batchSize)
        } catch {
            logger.warning("could not read the event outbox", metadata: ["sink": "\(sink.name)", "error": "\(error)"])
            return .failed
        }
        guard !batch.events.isEmpty else { return .idle }
        // Lanes by subject: one subject's events in order, on one lane.
        var bySubject: [String: [Int]] = [:]
        var subjects: [String] = []
        for (index, stored) in batch.events.enumerated() {
            if bySubject[stored.event.subject] == nil { subjects.append(stored.event.subject) }
            bySubject[stored.event.subject, default: []].append(index)
        }
        var laneIndexes = Array(repeating: [Int](), count: min(lanes, subjects.count))
        for (offset, subject) in subjects.enumerated() { laneIndexes[offset % laneIndexes.count].append(contentsOf: bySubject[subject]!) }
        var taken = Array(repeating: false, count: batch.events.count)
        var lastError: EventSinkError?
        await withTaskGroup(of: (taken: [Int], error: EventSinkError?).self) { group in
            for indexes in laneIndexes {
                group.addTask {
                    var done: [Int] = []
                    // Within a lane, a subject whose event failed sends nothing more this round.
                    var blocked = Set<String>()
                    var failure: EventSinkError?
                    for index in indexes.sorted() {
                        let event = batch.events[index].event
                        guard !blocked.contains(event.subject) else { continue }
                        do throws(EventSinkError) {
                            try await sink.deliver(event)
                            done.append(index)
                        } catch where !error.isRetryable {
                            metrics.rejected(sink: sink.name)
                            logger.warning("the event sink rejected an event; it is skipped", metadata: ["sink": "\(sink.name)", "id": "\(event.id)", "subject": "\(event.subject)", "error": "\(error.message)"])
                            done.append(index)
                        } catch {
                            blocked.insert(event.subject)
                            failure = error
                        }
                    }
                    return (done, failure)
                }
            }
            for await result in group {
                for index in result.taken { taken[index] = true }
                if let error = result.error { lastError = error }
            }
        }
        let prefix = taken.firstIndex(of: false) ?? taken.count
        let delivered = taken.count { $0 }
        if delivered > 0 { metrics.delivered(delivered, sink: sink.name) }
        if prefix > 0 {
            do {
                try await outbox.acknowledge(sink: sink.key, from: batch.cursor, through: batch.events[prefix - 1].sequence)
            } catch {
                logger.warning("could not record the events a sink took; they will be sent again", metadata: ["sink": "\(sink.name)", "error": "\(error)"])
                return .failed
            }
        }
        if let lastError {
            metrics.failedAttempt(sink: sink.name)
            logger.warning("event delivery failed; retrying with backoff", metadata: ["sink": "\(sink.name)", "error": "\(lastError.message)", "waiting": "\(batch.events.count - prefix)"])
            return .failed
        }
        return .delivered
    }
}

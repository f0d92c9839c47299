import BallastCore
import BallastEngine
import BallastProviders
import BallastState
import BallastTesting
import Foundation
import Logging
import MetricsTestKit
import Synchronization
import Testing

/// A sink that fails the first `failures` attempts (retryably), rejects the ids in `rejects`,
/// and records what it took, in order.
private final class FlakySink: EventSink {
    let name: String
    let key: String
    private let state: Mutex<(failuresLeft: Int, taken: [OutboxEvent], attempts: Int)>
    private let rejects: Set<String>

    init(failures: Int = 0, rejects: Set<String> = [], key: String = "flaky") {
        self.name = key
        self.key = key
        state = Mutex((failures, [], 0))
        self.rejects = rejects
    }

    func deliver(_ event: OutboxEvent) async throws(EventSinkError) {
        let failing = state.withLock { state -> Bool in
            state.attempts += 1
            guard state.failuresLeft > 0 else { return false }
            state.failuresLeft -= 1
            return true
        }
        if failing { throw EventSinkError(retryable: true, "down") }
        if rejects.contains(event.id) { throw EventSinkError.status(400, body: "bad event")! }
        state.withLock { $0.taken.append(event) }
    }

    func setFailures(_ count: Int) { state.withLock { $0.failuresLeft = count } }
    var taken: [OutboxEvent] { state.withLock { $0.taken } }
}

private let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
private let fast = RetryPolicy(maxAttempts: .max, base: .milliseconds(5), cap: .milliseconds(40), jitter: .none)

private func events(_ count: Int, subjects: Int) -> [OutboxEvent] {
    (0..<count).map { OutboxEvent(id: "e\($0)", subject: "s\($0 % subjects)", body: "{}") }
}

@Suite("Event delivery")
struct EventDeliveryTests {
    @Test func aSinkThatFailsForAWhileGetsEveryEventInOrderPerSubject() async throws {
        let store: any StateStore = InMemoryStateStore()
        let written = events(60, subjects: 4)
        try await store.enqueueEvents(written)
        let sink = FlakySink(failures: 9)
        let metrics = TestMetrics()
        let delivery = EventDelivery(outbox: store, sinks: [sink], batchSize: 16, retry: fast, idlePoll: .milliseconds(10), metrics: EventMetrics(factory: metrics), logger: quiet)
        let running = Task { await delivery.run() }
        defer { running.cancel() }
        #expect(await eventually { Set(sink.taken.map(\.id)) == Set(written.map(\.id)) }, "every event delivered after the sink recovered")
        // Per subject, first deliveries come in the order written (redeliveries may repeat one).
        for subject in ["s0", "s1", "s2", "s3"] {
            var firsts: [String] = []
            for event in sink.taken where event.subject == subject && !firsts.contains(event.id) { firsts.append(event.id) }
            #expect(firsts == written.filter { $0.subject == subject }.map(\.id), "\(subject)")
        }
        #expect(try metrics.expectCounter("ballast_events_delivery_failures_total", [("sink", "flaky")]).totalValue > 0)
        // New events written later are delivered too, once woken.
        try await store.enqueueEvents([OutboxEvent(id: "late", subject: "s0", body: "{}")])
        delivery.wakeUp()
        #expect(await eventually { sink.taken.contains { $0.id == "late" } })
    }

    /// Both sinks' loops sit idle, waiting to be woken, when new events come: each is woken
    /// (one shared wake-up would hold one waiter, and leave the other loop waiting forever).
    @Test func everySinkIdleAtOnceIsWokenByNewEvents() async throws {
        let store: any StateStore = InMemoryStateStore()
        let first = FlakySink(), second = FlakySink(key: "second")
        let delivery = EventDelivery(outbox: store, sinks: [first, second], retry: fast, idlePoll: .seconds(3600), metrics: EventMetrics(factory: TestMetrics()), logger: quiet)
        let running = Task { await delivery.run() }
        defer { running.cancel() }
        for round in 0..<3 {
            // Long enough for both loops to find nothing and wait (an hour, unless woken).
            try await Task.sleep(for: .milliseconds(200))
            try await store.enqueueEvents([OutboxEvent(id: "late-\(round)", subject: "s", body: "{}")])
            delivery.wakeUp()
            #expect(await eventually { first.taken.count == round + 1 && second.taken.count == round + 1 }, "round \(round): \(first.taken.count), \(second.taken.count)")
        }
    }

    @Test func anEventTheSinkRejectsIsSkippedAndCountedAndTheRestGoOn() async throws {
        let store: any StateStore = InMemoryStateStore()
        try await store.enqueueEvents(events(5, subjects: 1))
        let sink = FlakySink(rejects: ["e2"])
        let metrics = TestMetrics()
        let delivery = EventDelivery(outbox: store, sinks: [sink], retry: fast, metrics: EventMetrics(factory: metrics), logger: quiet)
        #expect(await delivery.drain(within: .seconds(60)).isEmpty)
        #expect(sink.taken.map(\.id) == ["e0", "e1", "e3", "e4"])
        #expect(try metrics.expectCounter("ballast_events_rejected_total", [("sink", "flaky")]).totalValue == 1)
        #expect(try await store.outbox(sink: "flaky", limit: 10).events.isEmpty, "the cursor moved past the rejected event")
    }

    @Test func aFullOutboxDropsTheOldestEventsAndCountsThem() async throws {
        let store: any StateStore = InMemoryStateStore()
        try await store.enqueueEvents(events(12, subjects: 3))
        let sink = FlakySink(failures: .max)
        let metrics = TestMetrics()
        let delivery = EventDelivery(outbox: store, sinks: [sink], outboxLimit: 5, retry: fast, metrics: EventMetrics(factory: metrics), logger: quiet)
        #expect(await delivery.drain(within: .milliseconds(100)) == ["flaky"], "a sink that is down is named as not having everything")
        #expect(try metrics.expectCounter("ballast_events_dropped_total", [("sink", "flaky")]).totalValue == 7)
        sink.setFailures(0)
        #expect(await delivery.drain(within: .seconds(60)).isEmpty)
        #expect(Set(sink.taken.map(\.id)) == ["e7", "e8", "e9", "e10", "e11"], "the newest events were kept")
    }

    private func eventually(_ condition: @Sendable () -> Bool) async -> Bool {
        // A bound on liveness, not a figure: generous for a loaded machine.
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}

import BallastCore
import BallastState
import BallastTesting
import Foundation
import Testing

private func event(_ name: String, subject: String = "Bucket/a@s") -> OutboxEvent {
    OutboxEvent(id: name, subject: subject, body: "{\"id\":\"\(name)\"}")
}

@Suite("Event outbox contract")
struct EventOutboxContractTests {
    @Test(arguments: StoreBackend.all)
    func anOutcomeAndItsEventsCommitTogetherAndAreReadInOrder(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (store, other) = try await backend.open(directory)
        let id = ResourceID(kind: "Bucket", name: "a", site: "s")
        let intent = try await store.recordIntent(JournalIntent(runID: "r", id: id, action: .create, spec: Fields(), specDigest: "x", at: Date()))
        try await store.recordOutcome(JournalOutcome(intentSequence: intent, status: .succeeded, attempts: 1, at: Date()), change: .none, events: [event("e1"), event("e2")])
        try await store.enqueueEvents([event("e3", subject: "site/s")])
        // A refused outcome writes none of its events.
        await #expect(throws: (any Error).self) {
            try await store.recordOutcome(JournalOutcome(intentSequence: intent, status: .failed, attempts: 1, at: Date()), change: .none, events: [event("never")])
        }
        let batch = try await other.outbox(sink: "a", limit: 10)
        #expect(batch.events.map(\.event.id) == ["e1", "e2", "e3"])
        #expect(batch.events.map(\.sequence) == batch.events.map(\.sequence).sorted())
        #expect(batch.events.first?.event.body == "{\"id\":\"e1\"}")
        #expect(try await other.outbox(sink: "a", limit: 2).events.map(\.event.id) == ["e1", "e2"], "a batch is at most the limit")
    }

    @Test(arguments: StoreBackend.all)
    func eachSinkHasItsCursorAndACursorNeverGoesBack(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (store, other) = try await backend.open(directory)
        try await store.enqueueEvents([event("e1"), event("e2"), event("e3")])
        let first = try await store.outbox(sink: "a", limit: 2)
        try await store.acknowledge(sink: "a", from: first.cursor, through: first.events[1].sequence)
        #expect(try await other.outbox(sink: "a", limit: 10).events.map(\.event.id) == ["e3"])
        #expect(try await other.outbox(sink: "b", limit: 10).events.map(\.event.id) == ["e1", "e2", "e3"], "another sink has its own cursor")
        // A deliverer that read before another moved the cursor changes nothing.
        try await store.acknowledge(sink: "a", from: first.cursor, through: first.events[0].sequence)
        #expect(try await other.outbox(sink: "a", limit: 10).events.map(\.event.id) == ["e3"])
    }

    @Test(arguments: StoreBackend.all)
    func trimmingDeletesWhatEverySinkHasAndBoundsTheRestCountingWhatWasDropped(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (store, _) = try await backend.open(directory)
        try await store.enqueueEvents((1...6).map { event("e\($0)") })
        let a = try await store.outbox(sink: "a", limit: 10)
        let b = try await store.outbox(sink: "b", limit: 10)
        try await store.acknowledge(sink: "a", from: a.cursor, through: a.events[3].sequence)
        try await store.acknowledge(sink: "b", from: b.cursor, through: b.events[1].sequence)
        // Both have e1 and e2: gone. Keeping 3 of e3...e6 drops e3, which b had not received.
        #expect(try await store.trimOutbox(keeping: 3, sinks: ["a", "b"]) == ["a": 0, "b": 1])
        #expect(try await store.outbox(sink: "b", limit: 10).events.map(\.event.id) == ["e4", "e5", "e6"])
        #expect(try await store.outbox(sink: "a", limit: 10).events.map(\.event.id) == ["e5", "e6"])
        // A sink seen for the first time starts at the oldest event kept.
        #expect(try await store.outbox(sink: "c", limit: 10).events.map(\.event.id) == ["e4", "e5", "e6"])
        // Emptied entirely, new events still come after every cursor (numbers are never reused).
        let everything = try await store.outbox(sink: "a", limit: 10)
        try await store.acknowledge(sink: "a", from: everything.cursor, through: everything.events.last!.sequence)
        #expect(try await store.trimOutbox(keeping: 0, sinks: ["a"]).values.reduce(0, +) == 0)
        try await store.enqueueEvents([event("e7")])
        #expect(try await store.outbox(sink: "a", limit: 10).events.map(\.event.id) == ["e7"])
        #expect(try await store.outbox(sink: "d", limit: 10).events.map(\.event.id) == ["e7"])
    }

    @Test(arguments: StoreBackend.all)
    func aDelivererReadingWhileTwoWritersCommitMissesNothing(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (first, second) = try await backend.open(directory)
        let perWriter = 150
        let seen = try await withThrowingTaskGroup(of: [String].self) { group in
            for (writer, store) in [(1, first), (2, second)] {
                group.addTask {
                    for index in 0..<perWriter { try await store.enqueueEvents([event("w\(writer)-\(index)")]) }
                    return []
                }
            }
            group.addTask {
                var seen: [String] = []
                // Reads and acknowledges while the writers commit, until every event came (or a
                // generous time passed: then the count below says what was skipped).
                let deadline = ContinuousClock.now + .seconds(120)
                while seen.count < 2 * perWriter, ContinuousClock.now < deadline {
                    let batch = try await first.outbox(sink: "a", limit: 7)
                    if let last = batch.events.last {
                        seen += batch.events.map(\.event.id)
                        try await first.acknowledge(sink: "a", from: batch.cursor, through: last.sequence)
                    } else {
                        try await Task.sleep(for: .milliseconds(10))
                    }
                }
                return seen
            }
            var all: [String] = []
            for try await ids in group { all += ids }
            return all
        }
        #expect(seen.count == 2 * perWriter, "events skipped: \(2 * perWriter - Set(seen).count)")
        #expect(Set(seen).count == seen.count)
    }
}

import BallastCore
import BallastEngine
import BallastProviders
import BallastState
import BallastTesting
import Foundation
import Synchronization
import Testing

private let golden = Repository.root(from: #filePath) + "/Tests/BallastEngineTests/Golden/"
private let at = Date(timeIntervalSince1970: 1_796_000_000)

/// Ids 1, 2, 3… so that the events are the same on every run.
private func counting() -> EventAnnouncer {
    let next = Mutex(0)
    return EventAnnouncer(source: "urn:ballast:test", newID: { "event-\(next.withLock { $0 += 1; return $0 })" })
}

@Suite("Event announcer")
struct EventAnnouncerTests {
    @Test func everyEventTypeHasItsShape() throws {
        let announcer = counting()
        let id = ResourceID(kind: "Database", name: "orders", site: "dc-frankfurt")
        let intent = JournalIntent(runID: "run-1", id: id, action: .update, spec: Fields(["password": .string("s3cr3t")]), specDigest: "d", at: at, revision: String(repeating: "ab", count: 20))
        var drifted = PlannedAction(id: id, action: .update, reason: .drifted, changes: [FieldChange(path: "sizeGb", before: .int(10), after: .int(20))], layer: 0, observedRevision: nil)
        drifted.changes.append(FieldChange(path: "engine", before: .string("s3cr3t-before"), after: .string("s3cr3t-after")))
        var events = announcer.outcome(intent, sequence: 7, outcome: JournalOutcome(intentSequence: 7, status: .succeeded, attempts: 1, outputs: Fields(["token": .string("s3cr3t-output")]), at: at), planned: drifted)
        events += announcer.outcome(JournalIntent(runID: "run-1", id: id, action: .create, spec: Fields(), specDigest: "d", at: at), sequence: 8, outcome: JournalOutcome(intentSequence: 8, status: .failed, attempts: 8, error: "the provider answered 503", at: at))
        events += announcer.outcome(JournalIntent(runID: "run-1", id: id, action: .delete, spec: Fields(), specDigest: "d", at: at), sequence: 9, outcome: JournalOutcome(intentSequence: 9, status: .succeeded, attempts: 1, at: at), planned: PlannedAction(id: id, action: .delete, reason: .orphaned, layer: 0, observedRevision: nil))
        events.append(announcer.site("edge-paris", up: false, reason: "connection refused", at: at))
        events.append(announcer.site("edge-paris", up: true, reason: nil, at: at))
        events.append(announcer.source(revision: SourceRevision(commit: String(repeating: "cd", count: 20)), held: true, resources: 21, diagnostics: ["a.yaml:3:5: error: unknown field 'sizeGB'"], at: at))
        events.append(announcer.deletionsHeld([id], limit: 10, digest: "abc123", at: at))
        events.append(announcer.placementMoved(FailoverReport.Move(direction: .failover, manifest: "Workload/api", from: "edge-paris", to: "edge-berlin"), at: at))
        events.append(announcer.budgetHeld("eu-cloud", ids: [id], message: "budget 'eu-cloud': €106.21 a month against a limit of €100.00, €6.21 over", at: at))
        events.append(announcer.budgetHeld("eu-cloud", ids: [], message: nil, at: at))
        let text = events.map(\.body).joined(separator: "\n") + "\n"
        #expect(!text.contains("s3cr3t"), "no spec, output or drifted value is ever in an event")
        #expect(events.map(\.subject) == [id.description, id.description, id.description, id.description, "site/edge-paris", "site/edge-paris", "source/" + String(repeating: "cd", count: 20), "deletions/abc123", "placement/Workload/api", "budget/eu-cloud", "budget/eu-cloud"])
        let mismatch = Golden.mismatch(text, file: golden + "events.jsonl")
        #expect(mismatch == nil, "\(mismatch ?? "")")
        // Each is a CloudEvent Ballast itself can read back.
        for event in events {
            let parsed = try CloudEvent.events(headers: ["content-type": "application/cloudevents+json"], body: Array(event.body.utf8))
            #expect(parsed.first?.id == event.id)
            #expect(parsed.first?.source == "urn:ballast:test")
        }
    }
}

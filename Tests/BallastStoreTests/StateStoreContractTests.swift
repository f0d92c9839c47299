import BallastCore
import BallastPostgres
import BallastSQLite
import BallastState
import BallastTesting
import Foundation
import Logging
import Testing

private let id = ResourceID(kind: "Bucket", name: "a", site: "s")
private func entry() -> InventoryEntry {
    InventoryEntry(id: id, spec: Fields(), specDigest: "d", createdAt: Date(timeIntervalSince1970: 1_000), updatedAt: Date(timeIntervalSince1970: 2_000))
}

/// One throwaway PostgreSQL cluster for this test run, started on first use.
let postgres = Task { try await PostgresServer() }
let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// One store backend under the contract tests: the same tests run against each, not a copy
/// per store.
struct StoreBackend: CustomTestStringConvertible, Sendable {
    var name: String
    /// Two stores on one state, as two processes would open it.
    var open: @Sendable (TemporaryDirectory) async throws -> (any StateStore, any StateStore)
    var testDescription: String { name }

    static let all = [
        StoreBackend(name: "in-memory") { _ in
            let store = InMemoryStateStore()
            return (store, store)
        },
        StoreBackend(name: "SQLite") { directory in
            (try SQLiteStateStore(path: directory.file("state.db")), try SQLiteStateStore(path: directory.file("state.db")))
        },
        StoreBackend(name: "PostgreSQL") { _ in
            let url = try PostgresURL(parsing: try await postgres.value.createDatabase())
            return (try await PostgresStateStore.open(url, access: .create, logger: quietLogger), try await PostgresStateStore.open(url, access: .create, logger: quietLogger))
        },
    ]
}

/// Expects `body` to be refused because `holder`'s lease was lost.
func expectLeaseLost(_ holder: LockHolder, sourceLocation: Testing.SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("a write after the lease was lost went through", sourceLocation: sourceLocation)
    } catch let error as StoreError {
        guard case .leaseLost(_, let lost) = error, lost.owner == holder.owner, lost.epoch == holder.epoch else {
            Issue.record("expected the lease to be lost, got: \(error)", sourceLocation: sourceLocation)
            return
        }
    } catch {
        Issue.record("expected the lease to be lost, got: \(error)", sourceLocation: sourceLocation)
    }
}

@Suite("State store contract")
struct StateStoreContractTests {
    @Test(arguments: StoreBackend.all)
    func manyEntriesAreWrittenTogetherAndReadBackWhole(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (store, other) = try await backend.open(directory)
        // More than one chunk: 10,000 rows for SQLite, 500 of one site for PostgreSQL.
        let entries = (0..<(backend.name == "PostgreSQL" ? 1_050 : 10_050)).map { index in
            var written = entry()
            written.id = ResourceID(kind: "Bucket", name: "b\(index)", site: index.isMultiple(of: 2) ? "a" : "b")
            written.manifest = "/srv/estate/team-\(index % 7).yaml"
            return written
        }
        try await store.upsert(contentsOf: entries)
        try await store.upsert(contentsOf: [])
        let read = try await other.inventory()
        #expect(read.count == entries.count)
        #expect(entries.allSatisfy { read[$0.id] == $0 })
    }

    @Test(arguments: StoreBackend.all)
    func anEntryReadsBackWhole(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (store, other) = try await backend.open(directory)
        var written = entry()
        written.standsInFor = "edge-paris"
        written.labels = ["team": "payments", "tier": "it's \"quoted\""]
        written.outputs = Fields(["url": .string("https://x")])
        written.manifest = "/srv/estate/team 'a'.yaml"
        try await store.upsert(written)
        #expect(try await other.entry(id) == written, "the failover decision, the labels and the manifest come back as written")
        #expect(try await other.inventory()[id] == written)
        var plain = entry()
        plain.id = ResourceID(kind: "Bucket", name: "b", site: "s")
        try await store.upsert(plain)
        #expect(try await other.entry(plain.id) == plain)
    }

    @Test(arguments: StoreBackend.all)
    func theJournalIsReadByResourceAndNewestFirstCut(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (store, _) = try await backend.open(directory)
        let other = ResourceID(kind: "Bucket", name: "b", site: "s")
        for (index, resource) in [id, other, id, id, other].enumerated() {
            let action: Action = index == 3 ? .delete : .create
            let sequence = try await store.recordIntent(JournalIntent(runID: "r\(index)", id: resource, action: action, spec: Fields(), specDigest: "x", at: Date()))
            try await store.recordOutcome(JournalOutcome(intentSequence: sequence, status: .succeeded, attempts: 1, at: Date()), change: .none)
        }
        #expect(try await store.events(JournalQuery(resource: id)).map(\.runID) == ["r0", "r2", "r3"])
        #expect(try await store.events(JournalQuery(resource: id, newest: 2)).map(\.runID) == ["r2", "r3"], "the newest, oldest first")
        #expect(try await store.events(JournalQuery(newest: 3)).map(\.runID) == ["r2", "r3", "r4"])
        #expect(try await store.events(JournalQuery(newest: 3)).allSatisfy { $0.outcome?.status == .succeeded })
        #expect(try await store.events(since: nil).count == 5)
        #expect(try await store.events(JournalQuery(action: .delete)).map(\.runID) == ["r3"], "only the deletions")
        #expect(try await store.events(JournalQuery(resource: other, action: .delete)).isEmpty)
    }

    @Test(arguments: StoreBackend.all)
    func outcomesCommitWithTheirInventoryChangeAndTheJournalIsAppendOnly(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (store, _) = try await backend.open(directory)
        let first = try await store.recordIntent(JournalIntent(runID: "r1", id: id, action: .create, spec: Fields(), specDigest: "x", at: Date()))
        let commit = String(repeating: "ab", count: 20)
        let approval = "--allow-over-budget: budget 'eu-cloud': €159.41 a month against a limit of €150.00, €9.41 over"
        let second = try await store.recordIntent(JournalIntent(runID: "r1", id: id, action: .update, spec: Fields(), specDigest: "x", at: Date(), revision: commit, approval: approval))
        #expect(second > first)
        #expect(try await store.unfinishedIntents().map(\.sequence) == [first, second])
        #expect(try await store.unfinishedIntents().map(\.intent.revision) == [nil, commit], "the source revision is kept with each intent")
        #expect(try await store.unfinishedIntents().map(\.intent.approval) == [nil, approval], "and the approval it was made under")
        try await store.recordOutcome(JournalOutcome(intentSequence: first, status: .succeeded, attempts: 2, outputs: Fields(["id": .string("1")]), at: Date()), change: .upsert(entry()))
        #expect(try await store.unfinishedIntents().map(\.sequence) == [second])
        #expect(try await store.entry(id) == entry())
        let events = try await store.events(since: nil)
        #expect(events.map(\.outcome?.status) == [.succeeded, nil])
        #expect(events.map(\.revision) == [nil, commit])
        #expect(events.map(\.approval) == [nil, approval])
        #expect(events.first?.outcome?.attempts == 2)
        await #expect(throws: (any Error).self, "an intent gets one outcome only") {
            try await store.recordOutcome(JournalOutcome(intentSequence: first, status: .failed, attempts: 1, at: Date()), change: .remove(id))
        }
        #expect(try await store.entry(id) != nil, "the refused outcome changed nothing")
        try await store.recordOutcome(JournalOutcome(intentSequence: second, status: .succeeded, attempts: 1, at: Date()), change: .remove(id))
        #expect(try await store.inventory().isEmpty)
    }

    @Test(arguments: StoreBackend.all)
    func upsertReplacesAndRemoveOfWhatIsAbsentSucceeds(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (store, _) = try await backend.open(directory)
        var changed = entry()
        try await store.upsert(changed)
        changed.status = .failed
        changed.lastError = "boom"
        changed.prune = false
        try await store.upsert(changed)
        #expect(try await store.inventory() == [id: changed])
        try await store.remove(id)
        try await store.remove(id)
        #expect(try await store.entry(id) == nil)
    }

    @Test(arguments: StoreBackend.all)
    func aLapsedLeaseIsTakenOverAndItsHolderCanNoLongerWrite(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (paused, other) = try await backend.open(directory)
        // The first holder's lease lapses while it is paused (SIGSTOP, a GC pause, a VM migration).
        let first = try await paused.acquireLock(LockHolder(command: "ballast watch", ttl: .milliseconds(200)), wait: .zero).lease
        try await paused.upsert(entry())
        try await Task.sleep(for: .milliseconds(400))
        guard case .tookOver(let second, let previous) = try await other.acquireLock(LockHolder(command: "ballast apply"), wait: .zero) else {
            Issue.record("a lapsed lease must be taken over, even while its process lives")
            return
        }
        #expect(previous.owner == first.owner)
        #expect(second.epoch > first.epoch, "epochs only grow")
        // It wakes up: every write and its renewal are refused.
        if backend.name != "in-memory" {
            await expectLeaseLost(first) { try await paused.upsert(entry()) }
            await expectLeaseLost(first) { try await paused.upsert(contentsOf: [entry()]) }
            await #expect(throws: (any Error).self) { _ = try await paused.recordIntent(JournalIntent(runID: "r", id: id, action: .delete, spec: Fields(), specDigest: "d", at: Date())) }
        }
        await #expect(throws: (any Error).self) { _ = try await paused.renewLock(first) }
        try await other.upsert(entry())
    }

    @Test(arguments: StoreBackend.all)
    func renewalKeepsALeaseAndForceUnlockEndsIt(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (holderStore, other) = try await backend.open(directory)
        var lease = try await holderStore.acquireLock(LockHolder(command: "ballast watch", ttl: .seconds(3600)), wait: .zero).lease
        for _ in 0..<3 {
            try await Task.sleep(for: .milliseconds(150))
            lease = try await holderStore.renewLock(lease)
        }
        await #expect(throws: StoreError.self) { _ = try await other.acquireLock(LockHolder(command: "ballast apply"), wait: .zero) }
        #expect(try await other.forceUnlock(owner: "no-such-lock") == nil)
        #expect(try await other.forceUnlock(owner: lease.owner)?.owner == lease.owner)
        await #expect(throws: (any Error).self) { _ = try await holderStore.renewLock(lease) }
        await #expect(throws: (any Error).self) { try await holderStore.upsert(entry()) }
        guard case .acquired = try await other.acquireLock(LockHolder(command: "ballast apply"), wait: .zero) else {
            Issue.record("a force-unlocked state is free")
            return
        }
    }

    @Test(arguments: StoreBackend.all)
    func tokensAreFoundByDigestListedByNameAndRevokedAtOnceWhileAnotherStoreHoldsTheLease(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (daemon, cli) = try await backend.open(directory)
        _ = try await daemon.acquireLock(LockHolder(command: "ballast watch", ttl: .seconds(3600)), wait: .zero)
        let at = Date(timeIntervalSince1970: 1_000)
        let ci = APIToken(name: "ci", digest: Array(repeating: 0xAB, count: 32), role: .admin, createdAt: at)
        let grafana = APIToken(name: "grafana", digest: Array(repeating: 0x01, count: 32), role: .read, createdAt: at)
        try await cli.saveToken(grafana)
        try await cli.saveToken(ci)
        #expect(try await daemon.tokens().map(\.name) == ["ci", "grafana"], "sorted by name")
        #expect(try await daemon.token(digest: ci.digest) == ci)
        #expect(try await daemon.token(digest: Array(repeating: 0x02, count: 32)) == nil)
        var rotated = grafana
        rotated.digest = Array(repeating: 0x03, count: 32)
        try await cli.saveToken(rotated)
        #expect(try await daemon.token(digest: grafana.digest) == nil, "saving under the same name replaces")
        #expect(try await cli.revokeToken(name: "ci"))
        #expect(try await !cli.revokeToken(name: "ci"))
        #expect(try await daemon.token(digest: ci.digest) == nil)
        #expect(try await daemon.tokens() == [rotated])
    }

    @Test(arguments: StoreBackend.all)
    func thePlanKeyLivesWithTheStateAndIsCreatedOnce(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (first, second) = try await backend.open(directory)
        #expect(try await first.planKey(create: false) == nil, "a fresh state has no key until a command that may create one asks")
        async let one = first.planKey(create: true)
        async let other = second.planKey(create: true)
        let (a, b) = try await (one, other)
        #expect(a?.count == 32)
        #expect(a == b, "of two created at once, one key wins and both use it")
        #expect(try await second.planKey(create: false) == a)
    }

    @Test(arguments: StoreBackend.all)
    func aSnapshotRestoresIntoAnEmptyStateOnlyAndTheJournalContinuesAfterIt(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory(), other = TemporaryDirectory()
        defer { directory.remove(); other.remove() }
        let (source, _) = try await backend.open(directory)
        let first = try await source.recordIntent(JournalIntent(runID: "r1", id: id, action: .create, spec: Fields(["a": .int(1)]), specDigest: "x", at: Date(timeIntervalSince1970: 10)))
        try await source.recordOutcome(JournalOutcome(intentSequence: first, status: .succeeded, attempts: 1, outputs: Fields(["arn": .string("a")]), at: Date(timeIntervalSince1970: 11)), change: .upsert(entry()))
        _ = try await source.recordIntent(JournalIntent(runID: "r2", id: id, action: .update, spec: Fields(), specDigest: "y", at: Date(timeIntervalSince1970: 12), revision: String(repeating: "c", count: 40), approval: "--allow-over-budget: budget 'x'"))
        try await source.saveToken(APIToken(name: "ci", digest: Array(repeating: 7, count: 32), role: .admin, createdAt: Date(timeIntervalSince1970: 5)))
        _ = try await source.planKey(create: true)
        // A pull site at generation 3: a copy carries on from it (an agent refuses lower ones).
        for digest in ["a", "b", "c"] {
            _ = try await source.publishSiteRevision(site: "edge", digest: digest, payload: "{\"d\":\"\(digest)\"}", sourceRevision: nil, at: Date(timeIntervalSince1970: 20))
        }
        try await source.saveAgentReport(AgentReport(site: "edge", receivedAt: Date(timeIntervalSince1970: 21), body: "{}"))
        // Events: a sink took the first two of three; a second sink has taken nothing yet.
        try await source.enqueueEvents((1...3).map { OutboxEvent(id: "e\($0)", subject: "Bucket/b@edge", body: "{\"n\":\($0)}") })
        let taken = try await source.outbox(sink: "took-two", limit: 2)
        try await source.acknowledge(sink: "took-two", from: taken.cursor, through: taken.events.last!.sequence)
        _ = try await source.outbox(sink: "took-none", limit: 0)
        let snapshot = try await source.snapshot()
        #expect(snapshot.counts.map(\.rows) == [1, 2, 1, 1, 1, 1, 1, 3, 2])
        let (target, _) = try await backend.open(other)
        if backend.name == "in-memory" { return }  // one store per backend there: nothing to copy into
        try await target.restore(snapshot)
        #expect(try await target.snapshot() == snapshot, "read back as it was written")
        #expect(try await target.unfinishedIntents().map(\.sequence) == [first + 1], "what was unfinished stays unfinished")
        let next = try await target.recordIntent(JournalIntent(runID: "r3", id: id, action: .delete, spec: Fields(), specDigest: "z", at: Date()))
        #expect(next > first + 1, "new intents continue after the copied ones")
        #expect(try await target.publishSiteRevision(site: "edge", digest: "d", payload: "{}", sourceRevision: nil, at: Date()).generation == 4, "generations continue")
        // Each sink carries on where it was, and a new event comes after every copied one.
        #expect(try await target.outbox(sink: "took-two", limit: 10).events.map(\.event.id) == ["e3"])
        #expect(try await target.outbox(sink: "took-none", limit: 10).events.map(\.event.id) == ["e1", "e2", "e3"])
        try await target.enqueueEvents([OutboxEvent(id: "e4", subject: "Bucket/b@edge", body: "{}")])
        #expect(try await target.outbox(sink: "took-two", limit: 10).events.map(\.event.id) == ["e3", "e4"])
        await #expect(throws: StoreError.self, "a state that holds anything is never copied into") { try await target.restore(snapshot) }
    }

    /// Every event delivered and trimmed: the copy has a cursor and no event, and its next event
    /// must still come after the cursor, or the sink would never receive it.
    @Test(arguments: StoreBackend.all.filter { $0.name != "in-memory" })
    func aCopiedCursorAheadOfAnEmptyOutboxStillGetsTheNextEvent(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory(), other = TemporaryDirectory()
        defer { directory.remove(); other.remove() }
        let (source, _) = try await backend.open(directory)
        try await source.enqueueEvents((1...3).map { OutboxEvent(id: "e\($0)", subject: "s", body: "{}") })
        let batch = try await source.outbox(sink: "sink", limit: 10)
        try await source.acknowledge(sink: "sink", from: batch.cursor, through: batch.events.last!.sequence)
        _ = try await source.trimOutbox(keeping: 100, sinks: ["sink"])
        let snapshot = try await source.snapshot()
        #expect(snapshot.outbox.isEmpty && snapshot.outboxCursors["sink"] == batch.events.last!.sequence)
        let (target, _) = try await backend.open(other)
        try await target.restore(snapshot)
        try await target.enqueueEvents([OutboxEvent(id: "e4", subject: "s", body: "{}")])
        #expect(try await target.outbox(sink: "sink", limit: 10).events.map(\.event.id) == ["e4"])
    }

    @Test func aReusedPidOrARebootFreesALease() {
        let me = ProcessInfo.processInfo.processIdentifier
        #expect(!LockHolder(command: "ballast apply").isDead, "this very process")
        // pid 1 in a restarted container: the same pid, another process.
        let reused = LockHolder(pid: me, startTime: (ProcessIdentity.startTime(of: me) ?? 1) + 1, command: "ballast watch")
        #expect(reused.isDead)
        let beforeReboot = LockHolder(pid: me, bootID: "00000000-0000-0000-0000-000000000000", command: "ballast watch")
        #expect(beforeReboot.isDead)
        // On another host only the expiry can tell.
        let elsewhere = LockHolder(pid: 999_999, host: "another-host", command: "ballast watch", expiresAt: Date().addingTimeInterval(30))
        #expect(!elsewhere.isDead && !elsewhere.isFree(at: Date()))
        #expect(elsewhere.isFree(at: Date().addingTimeInterval(31)))
    }
}

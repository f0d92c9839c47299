import BallastCore
import BallastStore
import BallastTesting
import Foundation
import Testing

private let id = ResourceID(kind: "Bucket", name: "a", site: "s")
private func entry() -> InventoryEntry {
    InventoryEntry(id: id, spec: Fields(), specDigest: "d", createdAt: Date(), updatedAt: Date())
}

/// The lease contract, run against every backend: the same tests, not a copy per store.
struct StoreBackend: CustomTestStringConvertible, Sendable {
    var name: String
    /// Two stores on one state, as two processes would open it.
    var open: @Sendable (TemporaryDirectory) throws -> (any StateStore, any StateStore)
    var testDescription: String { name }

    static let all = [
        StoreBackend(name: "in-memory") { _ in
            let store = InMemoryStateStore()
            return (store, store)
        },
        StoreBackend(name: "SQLite") { directory in
            (try SQLiteStateStore(path: directory.file("state.db")), try SQLiteStateStore(path: directory.file("state.db")))
        },
    ]
}

@Suite("State leases")
struct LeaseTests {
    @Test(arguments: StoreBackend.all)
    func aLapsedLeaseIsTakenOverAndItsHolderCanNoLongerWrite(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (paused, other) = try backend.open(directory)
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
            await #expect(throws: StoreError.leaseLost(path: directory.file("state.db"), holder: first)) { try await paused.upsert(entry()) }
            await #expect(throws: (any Error).self) { _ = try await paused.recordIntent(JournalIntent(runID: "r", id: id, action: .delete, spec: Fields(), specDigest: "d", at: Date())) }
        }
        await #expect(throws: (any Error).self) { _ = try await paused.renewLock(first) }
        try await other.upsert(entry())
    }

    @Test(arguments: StoreBackend.all)
    func renewalKeepsALeaseAndForceUnlockEndsIt(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (holderStore, other) = try backend.open(directory)
        var lease = try await holderStore.acquireLock(LockHolder(command: "ballast watch", ttl: .seconds(10)), wait: .zero).lease
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

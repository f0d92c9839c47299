import BallastCore
import BallastSQLite
import BallastState
import BallastTesting
import Foundation
import Testing

private func entry(_ name: String, status: InventoryEntry.Status = .ready) -> InventoryEntry {
    InventoryEntry(
        id: ResourceID(kind: "Bucket", name: name, site: "s"), spec: Fields(["versioning": .bool(true)]), specDigest: "d-\(name)",
        outputs: Fields(["id": .string("b-\(name)")]), status: status, generation: 2, dependencies: [ResourceID(kind: "Network", name: "n", site: "s")],
        preventDestroy: true, deletion: .orphan, createdAt: Date(timeIntervalSince1970: 1_000), updatedAt: Date(timeIntervalSince1970: 2_000))
}

@Suite("SQLite state store")
struct SQLiteStateStoreTests {
    @Test func inventoryRoundTripsAndSurvivesReopening() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("state.db")
        let store = try SQLiteStateStore(path: path)
        try await store.upsert(entry("a"))
        try await store.upsert(entry("b", status: .failed))
        try await store.remove(ResourceID(kind: "Bucket", name: "b", site: "s"))
        let reopened = try SQLiteStateStore(path: path)
        let inventory = try await reopened.inventory()
        #expect(inventory.count == 1)
        #expect(inventory.values.first == entry("a"))
    }

    @Test func aSecondWriterIsToldWhoHoldsTheLock() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("state.db")
        let first = try SQLiteStateStore(path: path)
        let second = try SQLiteStateStore(path: path)
        let holder = LockHolder(command: "ballast apply", ttl: .seconds(3600))  // no expiry during the test, however slow the machine
        #expect(try await first.acquireLock(holder, wait: .zero).lease.owner == holder.owner)
        do {
            _ = try await second.acquireLock(LockHolder(command: "ballast destroy"), wait: .milliseconds(300))
            Issue.record("the second writer got the lock")
        } catch let error as StoreError {
            #expect(error.isRetryable)
            #expect(error.description.hasPrefix("state \(path) is locked by ballast apply (pid \(holder.pid)) since "))
            #expect(error.description.hasSuffix(", lock id \(holder.owner); retry, or pass --lock-timeout 60s"))
        }
        try await first.releaseLock(holder)
        guard case .acquired = try await second.acquireLock(LockHolder(command: "ballast destroy"), wait: .zero) else {
            Issue.record("a released lock is free")
            return
        }
    }

    @Test func aLockLeftByADeadProcessIsTakenOver() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteStateStore(path: directory.file("state.db"))
        // A pid that existed and is gone: a child that has exited and been reaped.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let dead = LockHolder(pid: child.processIdentifier, command: "ballast apply")
        _ = try await store.acquireLock(dead, wait: .zero)
        let next = LockHolder(command: "ballast apply")
        guard case .tookOver(_, let previous) = try await store.acquireLock(next, wait: .zero) else {
            Issue.record("expected the dead holder's lock to be taken over")
            return
        }
        #expect(previous.owner == dead.owner && previous.pid == dead.pid)
        #expect(try await store.lockHolder()?.owner == next.owner)
    }

    @Test func anUnwritableLocationIsAClearError() {
        #expect(throws: StoreError.self) {
            _ = try SQLiteStateStore(path: "/proc/ballast-cannot-write-here/state.db")
        }
    }
}

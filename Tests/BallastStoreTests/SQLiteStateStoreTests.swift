import BallastCore
import BallastProviders
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

    /// A process paused in the middle of a write (Ctrl-Z, SIGSTOP) keeps SQLite's own write
    /// lock. Another writer waits out the busy timeout (15 s) and is then told who holds the
    /// lease, as for any held lease; with no live holder, that the database is busy.
    @Test func aWriterPausedMidWriteIsNamedAsTheHolder() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("state.db")
        let first = try SQLiteStateStore(path: path)
        let second = try SQLiteStateStore(path: path)
        func holdWriteLock() async throws -> ChildProcess {
            let marker = directory.file("held-\(UUID().uuidString)")
            let process = try ChildProcess("/usr/bin/env", ["python3", "-c", """
                import sqlite3, sys, time
                db = sqlite3.connect(sys.argv[1], isolation_level=None)
                db.execute("BEGIN IMMEDIATE")
                open(sys.argv[2], "w").close()
                time.sleep(600)
                """, path, marker])
            #expect(await WatchProcess.eventually(timeout: .seconds(120)) { FileManager.default.fileExists(atPath: marker) }, "python3 took the write lock")
            return process
        }
        // No lease held: the database is busy, and the error says so.
        let unleased = try await holdWriteLock()
        do {
            _ = try await second.acquireLock(LockHolder(command: "ballast destroy"), wait: .zero)
            Issue.record("got the lock while another connection held SQLite's write lock")
        } catch let error as StoreError {
            #expect(error.description.contains("the database is busy"), "\(error)")
        }
        unleased.send(SIGKILL)
        unleased.wait()
        // A live lease held by a process now paused mid-write: it is named.
        let holder = LockHolder(command: "ballast apply", ttl: .seconds(3600))
        _ = try await first.acquireLock(holder, wait: .zero)
        let paused = try await holdWriteLock()
        defer { paused.send(SIGKILL) }
        do {
            _ = try await second.acquireLock(LockHolder(command: "ballast destroy"), wait: .zero)
            Issue.record("got the lock while another process held it")
        } catch let error as StoreError {
            #expect(error.isRetryable)
            #expect(error.description.hasPrefix("state \(path) is locked by ballast apply (pid \(holder.pid)) since "), "\(error)")
        }
    }

    @Test func aLockLeftByADeadProcessIsTakenOver() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteStateStore(path: directory.file("state.db"))
        // A pid that existed and is gone: a child that has exited and been reaped.
        let child = try ChildProcess("/bin/true")
        child.wait()
        let dead = LockHolder(pid: child.pid, command: "ballast apply")
        _ = try await store.acquireLock(dead, wait: .zero)
        let next = LockHolder(command: "ballast apply")
        guard case .tookOver(_, let previous) = try await store.acquireLock(next, wait: .zero) else {
            Issue.record("expected the dead holder's lock to be taken over")
            return
        }
        #expect(previous.owner == dead.owner && previous.pid == dead.pid)
        #expect(try await store.lockHolder()?.owner == next.owner)
    }

    /// `> state.db`, or a copy cut short: read as a new estate, it would forget everything it
    /// managed and what protected it.
    @Test func anEmptiedStateIsRefusedNotTakenForANewOne() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("state.db")
        directory.write("state.db", "")
        for readOnly in [false, true] {
            let error = try #require(throws: StoreError.self) { _ = try SQLiteStateStore(path: path, readOnly: readOnly) }
            #expect("\(error)".contains("it is empty (0 bytes): a state emptied or cut short"), "\(error)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).isEmpty, "left as it was")
    }

    @Test func anUnwritableLocationIsAClearError() {
        #expect(throws: StoreError.self) {
            _ = try SQLiteStateStore(path: "/proc/ballast-cannot-write-here/state.db")
        }
    }
}

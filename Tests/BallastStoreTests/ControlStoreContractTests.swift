import BallastCore
import BallastState
import BallastTesting
import Foundation
import Testing

/// The suspension of syncing and the drift histories: kept in the state, seen by every process
/// on it, on each backend.
@Suite("Suspension and drift history contract")
struct ControlStoreContractTests {
    @Test(arguments: StoreBackend.all)
    func aSuspensionIsSeenByAnotherProcessUntilLifted(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (store, other) = try await backend.open(directory)
        #expect(try await other.syncSuspension() == nil)
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        try await store.setSyncSuspension(SyncSuspension(by: "r1", at: at))
        #expect(try await other.syncSuspension() == SyncSuspension(by: "r1", at: at))
        try await other.setSyncSuspension(SyncSuspension(by: "r2", at: at + 5))
        #expect(try await store.syncSuspension()?.by == "r2", "recorded again: the newer record")
        try await store.setSyncSuspension(nil)
        #expect(try await other.syncSuspension() == nil)
        try await store.setSyncSuspension(nil)
    }

    @Test(arguments: StoreBackend.all)
    func aDriftHistoryKeepsItsNewestRecordsPerResourceInOrder(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (store, other) = try await backend.open(directory)
        let id = ResourceID(kind: "Bucket", name: "logs", site: "eu")
        let neighbour = ResourceID(kind: "Bucket", name: "logs", site: "us")
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 0..<13 {
            let record = index.isMultiple(of: 2)
                ? DriftRecord(at: start + Double(index), fields: ["spec.versioning", "spec.tags.team"], missing: false, outcome: .reported)
                : DriftRecord(at: start + Double(index), fields: [], missing: true, outcome: .healed(.create))
            try await store.recordDrift(record, of: id, keep: 10)
        }
        try await other.recordDrift(DriftRecord(at: start, fields: [], missing: false, outcome: .healed(.update)), of: neighbour, keep: 10)
        let history = try await other.drifts(of: id)
        #expect(history.map(\.at) == (3..<13).map { start + Double($0) }, "the newest 10, oldest first")
        #expect(history.first == DriftRecord(at: start + 3, fields: [], missing: true, outcome: .healed(.create)))
        #expect(history.last == DriftRecord(at: start + 12, fields: ["spec.versioning", "spec.tags.team"], missing: false, outcome: .reported))
        #expect(try await store.drifts(of: neighbour).count == 1, "per resource")
        try await other.forgetDrifts(of: id)
        #expect(try await store.drifts(of: id).isEmpty)
        #expect(try await store.drifts(of: neighbour).count == 1)
    }
}

import BallastCore
import BallastProviders
@testable import BallastSim
import BallastState
import BallastTesting
import Foundation
import Testing

/// The inventory and the sim world are read a chunk at a time: what comes out must not depend on
/// where the chunks fall.
@Suite("chunked reads")
struct ChunkedReadTests {
    private func record(_ index: Int) -> StoredRecord.Inventory {
        let entry = InventoryEntry(
            id: ResourceID(kind: "Bucket", name: "b\(index)", site: "s\(index % 3)"), spec: Fields(["size": .int(index), "tier": .string("t\(index % 7)")]),
            specDigest: "d\(index)", outputs: Fields(["arn": .string("arn:\(index)")]), status: .ready, lastError: nil, generation: 1,
            dependencies: index > 0 ? [ResourceID(kind: "Bucket", name: "b\(index - 1)", site: "s\((index - 1) % 3)")] : [],
            preventDestroy: index % 5 == 0, deletion: .delete, prune: true, createdAt: Date(timeIntervalSince1970: 1), updatedAt: Date(timeIntervalSince1970: 2),
            labels: StringMap([("team", "t\(index % 4)")]))
        return StoredRecord.Inventory(entry)
    }

    @Test func theInventoryIsTheSameWhereverTheChunksFall() throws {
        let count = InventoryAssembler.chunkSize * 2 + 123
        var assembler = InventoryAssembler(expected: count)
        for index in 0..<count { try assembler.add(record(index)) }
        let inventory = try assembler.finish()
        #expect(inventory.count == count)
        for index in [0, 1, InventoryAssembler.chunkSize - 1, InventoryAssembler.chunkSize, count - 1] {
            #expect(inventory[ResourceID(kind: "Bucket", name: "b\(index)", site: "s\(index % 3)")] == (try record(index).entry()))
        }
    }

    @Test func anUnreadableRowInALaterChunkIsAnError() {
        var assembler = InventoryAssembler()
        var broken = record(InventoryAssembler.chunkSize + 5)
        broken.spec = "{not json"
        #expect(throws: StoredRecord.Unreadable.self) {
            for index in 0..<(InventoryAssembler.chunkSize + 5) { try assembler.add(record(index)) }
            try assembler.add(broken)
            for index in (InventoryAssembler.chunkSize + 6)..<(InventoryAssembler.chunkSize + 10) { try assembler.add(record(index)) }
            _ = try assembler.finish()
        }
    }

    @Test func aSimWorldLargerThanAChunkReadsBackWhole() async throws {
        let directory = TemporaryDirectory(prefix: "ballast-sim-chunks")
        defer { directory.remove() }
        let count = SimWorldStore.parseChunk * 2 + 77
        let ids = (0..<count).map { ResourceID(kind: "Bucket", name: "b\($0)", site: "s\($0 % 3)") }
        let writer = SimWorldStore(directory: directory.file("sim"))
        // Small batches: the journal grows past its fold limit, so both the snapshot and the
        // journal after it are read.
        for start in stride(from: 0, to: count, by: 1_000) {
            try await writer.mutate { _ throws(ProviderError) in
                (ids[start..<min(start + 1_000, count)].map { .put(SimWorld.Record(id: $0, spec: Fields(["n": .string($0.name)]), outputs: Fields(), revision: 0)) }, ())
            }
        }
        try await writer.mutate { _ throws(ProviderError) in ([.remove(ids[5])], ()) }
        let world = try await SimWorldStore(directory: directory.file("sim")).snapshot()
        #expect(world.records.count == count - 1)
        #expect(world.records[ids[5]] == nil)
        #expect(world.records[ids[count - 1]]?.spec == Fields(["n": .string("b\(count - 1)")]))
        #expect(world.records[ids[SimWorldStore.parseChunk]]?.spec == Fields(["n": .string("b\(SimWorldStore.parseChunk)")]))
        let written = try await writer.snapshot()
        let same = world == written
        #expect(same, "a fresh read of the files holds the world the writer holds")
    }
}

import BallastCore
import BallastProviders
@testable import BallastSim
import BallastTesting
import Foundation
import Testing

/// Sim records are kept as the JSON text of their spec and outputs, and parsed when read: every
/// value must come back as it went in, through the journal, through a snapshot, and in memory.
@Suite("sim world records")
struct SimWorldRecordTests {
    private let id = ResourceID(kind: "Bucket", name: "assets", site: "eu")

    private var awkwardSpec: Fields {
        Fields([
            "quote": .string("say \"hi\" \\ then }]{["), "lines": .string("one\ntwo\tthree\r"), "unicode": .string("žluťoučký 🚀 \u{01}"),
            "int": .int(-42), "big": .int(Int.max), "double": .number(0.25), "yes": .bool(true), "nothing": .null,
            "nested": .map(Fields(["list": .list([.int(1), .map(Fields(["k": .string("v")])), .list([])]), "empty": .map(Fields())])),
        ])
    }

    @Test func aRecordKeptAsTextEqualsTheParsedRecord() throws {
        let parsed = SimWorld.Record(id: id, spec: awkwardSpec, outputs: Fields(["url": .string("https://x")]), revision: 7)
        let (outputsJSON, specJSON) = parsed.json
        var outputsText = outputsJSON, specText = specJSON
        let kept = try #require(outputsText.withUTF8 { outputs in
            specText.withUTF8 { spec in SimWorld.Record(id: id, revision: 7, outputsJSON: outputs, specJSON: spec) }
        })
        #expect(kept == parsed)
        #expect(kept.spec == awkwardSpec)
        #expect(kept.observed == parsed.observed)
        var changed = kept
        changed.spec["int"] = .int(43)
        #expect(changed != parsed)
        #expect(changed.outputs == parsed.outputs, "changing the spec keeps the outputs")
    }

    @Test func valuesComeBackThroughTheJournalAndThroughASnapshot() async throws {
        let directory = TemporaryDirectory(prefix: "ballast-sim-records")
        defer { directory.remove() }
        let path = directory.file("sim")
        let writer = SimWorldStore(directory: path)
        let record = SimWorld.Record(id: id, spec: awkwardSpec, outputs: Fields(["url": .string("https://x/\"q\"")]), revision: 0)
        try await writer.mutate { _ throws(ProviderError) in ([.put(record)], ()) }
        let fromJournal = try #require(try await SimWorldStore(directory: path).snapshot().records[id])
        #expect(fromJournal.spec == awkwardSpec)
        #expect(fromJournal.outputs == record.outputs)
        #expect(fromJournal.revision == 1)
        #expect(!FileManager.default.fileExists(atPath: path + "/world.snapshot"), "read from the journal")

        // A journal larger than 1 MiB is folded into a snapshot.
        let filler = (0..<3).map { ResourceID(kind: "Bucket", name: "filler\($0)", site: "eu") }
        try await writer.mutate { _ throws(ProviderError) in
            (filler.map { .put(SimWorld.Record(id: $0, spec: Fields(["blob": .string(String(repeating: "x", count: 400_000))]), outputs: Fields(), revision: 0)) }, ())
        }
        #expect(FileManager.default.fileExists(atPath: path + "/world.snapshot"), "folded into a snapshot")
        // Written in chunks (over 1 MiB here): each record once, the header first.
        let lines = try String(contentsOfFile: path + "/world.snapshot", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines.first?.contains("\"serial\"") == true && lines.first?.contains("\"id\"") == false)
        let fromSnapshot = try await SimWorldStore(directory: path).snapshot()
        #expect(fromSnapshot.records[id]?.spec == awkwardSpec)
        #expect(fromSnapshot.records[id]?.outputs == record.outputs)
        #expect(fromSnapshot.records[id]?.revision == 1)
        #expect(fromSnapshot.records.count == 4)
        #expect(fromSnapshot == (try await writer.snapshot()))
    }

    @Test func aCorruptSnapshotLineIsAnError() async throws {
        let directory = TemporaryDirectory(prefix: "ballast-sim-corrupt")
        defer { directory.remove() }
        let path = directory.file("sim")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let lines = [#"{"outages":{},"serial":2}"#, #"{"id":"Bucket/a@eu","outputs":{},"revision":1,"spec":{"x":1}}"#, #"{"id":"Bucket/b@eu","outputs":{},"revision":2,"spec":{"x":"#]
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path + "/world.snapshot"))
        await #expect(throws: ProviderError.self) { try await SimWorldStore(directory: path).snapshot() }
    }

    @Test func aRecordWhoseSpecIsNotAnObjectIsSkipped() async throws {
        let directory = TemporaryDirectory(prefix: "ballast-sim-odd")
        defer { directory.remove() }
        let path = directory.file("sim")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let lines = [
            #"{"id":"Bucket/a@eu","op":"put","outputs":{},"serial":1,"spec":{"x":1}}"#,
            #"{"id":"Bucket/b@eu","op":"put","outputs":{},"serial":2,"spec":[1]}"#,
            #"{"id":"Bucket/c@eu","op":"put","serial":3}"#,
        ]
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path + "/world.journal"))
        let world = try await SimWorldStore(directory: path).snapshot()
        #expect(world.records.keys.map(\.name).sorted() == ["a", "c"])
        #expect(world.records[ResourceID(kind: "Bucket", name: "c", site: "eu")]?.spec == Fields())
        #expect(world.serial == 3)
    }

    /// A writer that died mid-line leaves part of a line at the journal's end: the next change
    /// is written after it is cut off, not glued to it (where no reader could decode it).
    @Test func aJournalLineCutShortIsNotGluedToTheNextChange() async throws {
        let directory = TemporaryDirectory(prefix: "ballast-sim-cut")
        defer { directory.remove() }
        let path = directory.file("sim")
        let a = ResourceID(kind: "Bucket", name: "a", site: "eu")
        let b = ResourceID(kind: "Bucket", name: "b", site: "eu")
        try await SimWorldStore(directory: path).mutate { _ throws(ProviderError) in ([.put(SimWorld.Record(id: a, spec: Fields(), outputs: Fields(), revision: 0))], ()) }
        let journal = path + "/world.journal"
        let handle = try #require(FileHandle(forWritingAtPath: journal))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"id":"Bucket/x@eu","op":"pu"#.utf8))
        try handle.close()
        try await SimWorldStore(directory: path).mutate { _ throws(ProviderError) in ([.put(SimWorld.Record(id: b, spec: Fields(), outputs: Fields(), revision: 0))], ()) }
        let world = try await SimWorldStore(directory: path).snapshot()
        #expect(world.records.keys.sorted() == [a, b])
        #expect(world.serial == 2)
        let text = try String(contentsOfFile: journal, encoding: .utf8)
        #expect(!text.contains("Bucket/x@eu") && text.hasSuffix("\n"), "\(text)")
    }

    /// A change whose journal write fails is not in the world either: what the store holds in
    /// memory is what its files hold.
    @Test func aChangeThatCouldNotBeWrittenIsNotInTheWorld() async throws {
        let directory = TemporaryDirectory(prefix: "ballast-sim-full")
        defer { directory.remove() }
        let path = directory.file("sim")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path + "/world.journal", withDestinationPath: "/dev/full")
        let store = SimWorldStore(directory: path)
        let record = SimWorld.Record(id: ResourceID(kind: "Bucket", name: "a", site: "eu"), spec: Fields(), outputs: Fields(), revision: 0)
        await #expect(throws: ProviderError.self) { try await store.mutate { _ throws(ProviderError) in ([.put(record)], ()) } }
        let world = try await store.snapshot()
        #expect(world.records.isEmpty)
        #expect(world.serial == 0)
    }

    /// A snapshot is renamed into place whole, so one that ends mid-line was cut short: an
    /// error, not a world missing its last records.
    @Test func aSnapshotCutShortIsAnError() async throws {
        let directory = TemporaryDirectory(prefix: "ballast-sim-short")
        defer { directory.remove() }
        let path = directory.file("sim")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let text = #"{"outages":{},"serial":2}"# + "\n" + #"{"id":"Bucket/a@eu","outputs":{},"revision":1,"spec":{"x":1}}"# + "\n" + #"{"id":"Bucket/b@eu","outputs":{},"revision":2,"spec":{"x":2}}"#
        try Data(text.utf8).write(to: URL(fileURLWithPath: path + "/world.snapshot"))
        await #expect(throws: ProviderError.self) { try await SimWorldStore(directory: path).snapshot() }
        try Data((text + "\n").utf8).write(to: URL(fileURLWithPath: path + "/world.snapshot"))
        #expect(try await SimWorldStore(directory: path).snapshot().records.count == 2)
    }
}

import BallastCore
@testable import BallastHost
import BallastProviders
import BallastTesting
import Foundation
import Synchronization
import Testing

/// Writes to one site coalesced into one script, run by a real `/bin/sh`.
@Suite("host write batches")
struct HostWriteBatchTests {
    private let site = "box"

    private func file(_ name: String, _ content: String, root: String) throws -> String {
        let resource = ResolvedResource(id: ResourceID(kind: "File", name: name, site: site), spec: Fields(["path": .string(name + ".txt"), "content": .string(content)]))
        return try HostScripts.put(resource, root: root) + HostScripts.observeIndexed(index: 0, id: resource.id)
    }

    @Test func concurrentWritesShareScriptsAndKeepTheirOwnResults() async throws {
        let directory = TemporaryDirectory(prefix: "ballast-host-batch")
        defer { directory.remove() }
        let root = directory.file("root")
        // Someone else's file: the write of `taken` must fail alone.
        directory.write("root/taken.txt", "not ours\n")
        let batcher = HostWriteBatcher()
        let scripts = Mutex(0)
        let largest = Mutex(0)
        let run: HostWriteBatcher.Runner = { script, writes throws(ProviderError) in
            scripts.withLock { $0 += 1 }
            largest.withLock { $0 = max($0, writes) }
            return try await LocalTransport().run(script, timeout: .seconds(30))
        }
        let prelude = HostScripts.prelude(root: root)
        let names = (0..<40).map { "f\($0)" } + ["taken"]
        var bodies: [String: String] = [:]
        for name in names { bodies[name] = try file(name, "content of \(name)\n", root: root) }
        let results = await withTaskGroup(of: (String, Result<HostResult, ProviderError>).self) { group in
            for name in names {
                let body = bodies[name]!
                group.addTask {
                    do throws(ProviderError) {
                        return (name, .success(try await batcher.write(body, key: "box", prelude: prelude, run: run)))
                    } catch {
                        return (name, .failure(error))
                    }
                }
            }
            var results: [String: Result<HostResult, ProviderError>] = [:]
            for await (name, result) in group { results[name] = result }
            return results
        }
        #expect(scripts.withLock { $0 } < names.count, "41 concurrent writes took \(scripts.withLock { $0 }) scripts")
        #expect(largest.withLock { $0 } > 1)
        for name in names where name != "taken" {
            let result = try #require(try? results[name]?.get())
            #expect(result.status == 0, "\(name): \(result.errors)")
            let observed = HostProvider.parse(result.output, targets: [0: ResourceID(kind: "File", name: name, site: site)])
            #expect(observed.first?.value.spec["content"] == .string("content of \(name)\n"), "\(name): \(result.output)")
            #expect(try String(contentsOfFile: root + "/\(name).txt", encoding: .utf8) == "content of \(name)\n")
        }
        let taken = try #require(try? results["taken"]?.get())
        #expect(taken.status == 3 && taken.errors.contains("already exists and Ballast did not write it"), "\(taken)")
        #expect(try String(contentsOfFile: root + "/taken.txt", encoding: .utf8) == "not ours\n")
        // The scripts' working directories (they held the read-back content) are gone.
        let left = try FileManager.default.contentsOfDirectory(atPath: root + "/.ballast-host").filter { $0.hasPrefix("write.") }
        #expect(left.isEmpty, "\(left)")
    }

    @Test func aScriptCutShortFailsEveryWriteInIt() {
        let output = "0|dir|755|ZA==\n\n#ballast-end|0|0|\n0|dir|755|ZQ==\n"
        #expect(HostWriteBatch.parse(output, count: 2) == nil)
        let parsed = HostWriteBatch.parse(output + "\n#ballast-end|1|4|bm90IGVtcHR5\n", count: 2)
        #expect(parsed?.map(\.status) == [0, 4])
        #expect(parsed?.map(\.output) == ["0|dir|755|ZA==", "0|dir|755|ZQ=="])
        #expect(parsed?.last?.errors == "not empty")
        // End lines out of order, or one too many, are not believed.
        #expect(HostWriteBatch.parse("#ballast-end|1|0|\n#ballast-end|0|0|\n", count: 2) == nil)
        #expect(HostWriteBatch.parse("#ballast-end|0|0|\n#ballast-end|1|0|\n#ballast-end|2|0|\n", count: 2) == nil)
    }
}

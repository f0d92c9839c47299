import BallastState
import BallastTesting
import Foundation
import Testing

@Suite("Plan key")
struct PlanKeyTests {
    @Test func processesCreatingTheKeyAtOnceAgreeOnOne() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        #expect(try PlanKey.load(stateDirectory: directory.path, create: false) == nil, "read-only callers never create it")
        let keys = await withTaskGroup(of: [UInt8]?.self) { group in
            for _ in 0..<8 { group.addTask { try? PlanKey.load(stateDirectory: directory.path, create: true) } }
            var keys: [[UInt8]?] = []
            for await key in group { keys.append(key) }
            return keys
        }
        #expect(Set(keys.compactMap { $0 }).count == 1 && keys.allSatisfy { $0?.count == 32 })
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.file("plan.key"))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["plan.key"], "no temporary file left behind")
    }

    @Test func aDamagedKeyIsAnErrorNotANewKey() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        directory.write("plan.key", "0123abc\n")  // cut short
        #expect(throws: PlanKey.Failure.self) { _ = try PlanKey.load(stateDirectory: directory.path, create: true) }
        #expect(try String(contentsOfFile: directory.file("plan.key"), encoding: .utf8) == "0123abc\n", "left as it was")
    }
}

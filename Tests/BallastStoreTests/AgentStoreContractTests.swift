import BallastCore
import BallastState
import BallastTesting
import Foundation
import Testing

@Suite("Agent store contract")
struct AgentStoreContractTests {
    @Test(arguments: StoreBackend.all)
    func aSiteGenerationRisesOnlyWhenItsDigestChangesAndIsSeenByAnotherProcess(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (store, other) = try await backend.open(directory)
        #expect(try await other.siteRevision("edge") == nil)
        let first = try await store.publishSiteRevision(site: "edge", digest: "a", payload: "{}", sourceRevision: "c1", at: Date())
        #expect(first.generation == 1)
        let same = try await store.publishSiteRevision(site: "edge", digest: "a", payload: "{}", sourceRevision: "c2", at: Date())
        #expect(same.generation == 1, "the same digest is not a new generation")
        #expect(same.sourceRevision == "c1", "and it keeps what it was published with")
        let second = try await other.publishSiteRevision(site: "edge", digest: "b", payload: "{\"x\":1}", sourceRevision: nil, at: Date())
        #expect(second.generation == 2, "another process continues the sequence")
        let read = try #require(try await store.siteRevision("edge"))
        #expect(read.generation == 2 && read.digest == "b" && read.payload == "{\"x\":1}" && read.sourceRevision == nil)
        #expect(try await store.publishSiteRevision(site: "other", digest: "a", payload: "{}", sourceRevision: nil, at: Date()).generation == 1, "per site")
    }

    @Test(arguments: StoreBackend.all)
    func twoPublishersAtOnceNeverTakeTheSameGeneration(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (store, other) = try await backend.open(directory)
        let generations = try await withThrowingTaskGroup(of: Int64.self) { group in
            for index in 0..<20 {
                let target = index.isMultiple(of: 2) ? store : other
                group.addTask { try await target.publishSiteRevision(site: "edge", digest: "d\(index)", payload: "{}", sourceRevision: nil, at: Date()).generation }
            }
            return try await group.reduce(into: [Int64]()) { $0.append($1) }
        }
        #expect(Set(generations).count == 20, "each publication of a new digest took its own generation: \(generations.sorted())")
        #expect(try await store.siteRevision("edge")?.generation == 20)
    }

    @Test(arguments: StoreBackend.all.filter { $0.name != "in-memory" })
    func aPausedHubThatLostItsLeasePublishesNothing(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (paused, other) = try await backend.open(directory)
        let first = try await paused.acquireLock(LockHolder(command: "ballast watch", ttl: .milliseconds(200)), wait: .zero).lease
        _ = try await paused.publishSiteRevision(site: "edge", digest: "new", payload: "{}", sourceRevision: nil, at: Date())
        try await Task.sleep(for: .milliseconds(400))
        _ = try await other.acquireLock(LockHolder(command: "ballast watch"), wait: .zero)
        await expectLeaseLost(first) { _ = try await paused.publishSiteRevision(site: "edge", digest: "old", payload: "{}", sourceRevision: nil, at: Date()) }
        #expect(try await other.siteRevision("edge")?.digest == "new")
    }

    @Test(arguments: StoreBackend.all)
    func anAgentsLastReportReplacesTheOneBefore(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (store, other) = try await backend.open(directory)
        try await store.saveAgentReport(AgentReport(site: "b", receivedAt: Date(timeIntervalSince1970: 10), body: "{\"n\":1}"))
        try await store.saveAgentReport(AgentReport(site: "a", receivedAt: Date(timeIntervalSince1970: 20), body: "{}"))
        try await other.saveAgentReport(AgentReport(site: "b", receivedAt: Date(timeIntervalSince1970: 30), body: "{\"n\":2}"))
        let reports = try await store.agentReports()
        #expect(reports.map(\.site) == ["a", "b"], "sorted by site")
        #expect(reports.last?.body == "{\"n\":2}")
        #expect(reports.last?.receivedAt == Date(timeIntervalSince1970: 30))
    }
}

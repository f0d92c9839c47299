import BallastCore
import BallastEngine
import BallastState
import BallastTesting
import Foundation
import Logging
import Testing

private let estate = """
    apiVersion: ballast.dev/v1
    kind: Site
    metadata: { name: cloud }
    spec: { class: cloud, provider: sim }
    ---
    apiVersion: ballast.dev/v1
    kind: Site
    metadata: { name: edge, labels: { tier: edge } }
    spec: { class: edge, provider: sim, mode: pull, config: { latencyMs: 3 } }
    ---
    apiVersion: ballast.dev/v1
    kind: Network
    metadata: { name: core, site: cloud }
    spec: { cidr: 10.0.0.0/16 }
    ---
    apiVersion: ballast.dev/v1
    kind: Workload
    metadata: { name: cache, site: edge, labels: { team: delivery } }
    spec:
      image: cache:1
      env:
        ORIGIN: "net=${Network/core@cloud.outputs.networkId}"
        TOKEN: ${env:EDGE_TOKEN}
        LITERAL: "$${not a reference}"
    policy: { prune: false }
    ---
    apiVersion: ballast.dev/v1
    kind: EdgeFunction
    metadata: { name: fn, site: edge }
    spec:
      runtime: javascript
      code: "export default () => 1"
      env: { UPSTREAM: "${Workload/cache.outputs.endpoint}" }

    """

private func desired(_ text: String = estate) throws -> DesiredState {
    let loaded = TestManifests.load(text)
    #expect(!loaded.diagnostics.hasErrors, "\(loaded.diagnostics.items.map(\.message))")
    return try #require(loaded.desired)
}

private let network = ResourceID(kind: "Network", name: "core", site: "cloud")
private let secrets: [ReferenceExpression: String] = [.env("EDGE_TOKEN"): "s3cret"]

@Suite("Pull sites: bundles and the hub")
struct AgentHubTests {
    @Test func aBundleWaitsForOutputsOfOtherSitesAndLeavesNoResourceOut() throws {
        let bundle = SiteBundle.make(site: "edge", desired: try desired(), outputs: { _ in nil })
        #expect(bundle.waiting == ["Workload/cache@edge spec.env.ORIGIN waits for Network/core@cloud's output 'networkId'"])
    }

    @Test func aBundleLoadsOnTheAgentAsTheSameResourcesWithOtherSitesFilledIn() throws {
        let bundle = SiteBundle.make(site: "edge", desired: try desired(), outputs: { $0 == network ? Fields(["networkId": .string("net-1")]) : nil })
        #expect(bundle.waiting.isEmpty)
        #expect(bundle.secretReferences == [.env("EDGE_TOKEN")])
        #expect(!bundle.payload.contains("s3cret"), "no secret value is in what is stored")
        let entry = AgentCache.Entry(generation: 1, digest: "", sourceRevision: nil, documents: bundle.documents, secrets: [:], receivedAt: Date())
        let loaded = TestManifests.load(entry.manifests)
        #expect(!loaded.diagnostics.hasErrors, "\(loaded.diagnostics.items.map(\.message))")
        let state = try #require(loaded.desired)
        let site = try #require(state.sites["edge"])
        #expect(site.mode == .push, "on its agent's machine the site is the agent's to push to")
        #expect(site.siteClass == .edge && site.provider == "sim" && site.labels["tier"] == "edge" && site.config["latencyMs"] == .int(3))
        #expect(state.sites.count == 1)
        let resources = state.resourcesByID
        let cache = try #require(resources[ResourceID(kind: "Workload", name: "cache", site: "edge")])
        guard case .map(let env)? = cache.spec["env"] else {
            Issue.record("no env")
            return
        }
        #expect(env["ORIGIN"] == .string("net=net-1"))
        #expect(env["TOKEN"] == .string("${env:EDGE_TOKEN}"), "a secret reference stays as written")
        #expect(env["LITERAL"] == .string("${not a reference}"), "an escaped ${ is the same text on the agent")
        #expect(cache.policy.prune == false)
        #expect(cache.labels["team"] == "delivery")
        let function = try #require(resources[ResourceID(kind: "EdgeFunction", name: "fn", site: "edge")])
        #expect(function.dependencies == [cache.id], "a reference within the site stays, for the agent to resolve")
        #expect(resources.count == 2)
    }

    @Test func theDigestChangesWithASecretsValue() throws {
        let bundle = SiteBundle.make(site: "edge", desired: try desired(), outputs: { _ in Fields(["networkId": .string("n")]) })
        let key = Array(repeating: UInt8(7), count: 32)
        #expect(bundle.digest(secrets: secrets, key: key) == bundle.digest(secrets: secrets, key: key))
        #expect(bundle.digest(secrets: secrets, key: key) != bundle.digest(secrets: [.env("EDGE_TOKEN"): "rotated"], key: key))
    }

    @Test func aGenerationRisesOnlyWhenTheSiteChangesAndWakesALongPoll() async throws {
        let store = InMemoryStateStore()
        let hub = AgentHub(store: store, key: [1, 2, 3], logger: Logger(label: "test"))
        let outputs = [network: Fields(["networkId": .string("net-1")])]
        let first = try desired()
        await hub.adopt(first, secrets: secrets, revision: "c1", outputs: outputs, publishing: ["edge"])
        guard case .revision(let revision, let values) = try await hub.desired(site: "edge", after: nil, wait: .zero, clock: SystemControllerClock()) else {
            Issue.record("the first revision was not published")
            return
        }
        #expect(revision.generation == 1 && revision.sourceRevision == "c1")
        #expect(values == ["${env:EDGE_TOKEN}": "s3cret"], "the answer carries the secret values")
        // A reload that changes another site only: the same generation, no wake-up.
        let elsewhere = try desired(estate.replacingOccurrences(of: "cidr: 10.0.0.0/16", with: "cidr: 10.1.0.0/16"))
        await hub.adopt(elsewhere, secrets: secrets, revision: "c2", outputs: outputs, publishing: ["edge"])
        #expect(await store.siteRevision("edge")?.generation == 1)
        // A long-poll waiting for a change gets it when it comes.
        let poll = Task { try await hub.desired(site: "edge", after: 1, wait: .seconds(30), clock: SystemControllerClock()) }
        try await Task.sleep(for: .milliseconds(100))
        let changed = try desired(estate.replacingOccurrences(of: "image: cache:1", with: "image: cache:2"))
        await hub.adopt(changed, secrets: secrets, revision: "c3", outputs: outputs, publishing: ["edge"])
        guard case .revision(let second, _) = try await poll.value else {
            Issue.record("the long-poll did not get the new generation")
            return
        }
        #expect(second.generation == 2 && second.sourceRevision == "c3")
        // Nothing newer: the wait runs out and says so.
        guard case .unchanged(let latest) = try await hub.desired(site: "edge", after: 2, wait: .milliseconds(50), clock: SystemControllerClock()) else {
            Issue.record("expected no change")
            return
        }
        #expect(latest == 2)
        await #expect(throws: AgentHub.HubError.self) { try await hub.desired(site: "cloud", after: nil, wait: .zero, clock: SystemControllerClock()) }
    }

    @Test func aSiteThatIsNotThisProcesssToPublishIsLeftToItsOwner() async throws {
        let store = InMemoryStateStore()
        let hub = AgentHub(store: store, key: [], logger: Logger(label: "test"))
        await hub.adopt(try desired(), secrets: secrets, revision: nil, outputs: [network: Fields(["networkId": .string("n")])], publishing: [])
        #expect(await store.siteRevision("edge") == nil)
    }

    @Test func aSiteHeldForAnOutputIsPublishedOnceTheOutputIsKnownWithoutAReload() async throws {
        let store = InMemoryStateStore()
        let hub = AgentHub(store: store, key: [], logger: Logger(label: "test"))
        let state = try desired()
        await hub.adopt(state, secrets: secrets, revision: nil, outputs: [:], publishing: ["edge"])
        #expect(await store.siteRevision("edge") == nil, "held: Network/core@cloud's output is not known")
        #expect(await hub.needsAnotherTry, "the controller tries again without waiting for a reload")
        await hub.adopt(state, secrets: secrets, revision: nil, outputs: [network: Fields(["networkId": .string("n")])], publishing: ["edge"])
        #expect(await store.siteRevision("edge")?.generation == 1)
        #expect(await !hub.needsAnotherTry)
    }
}

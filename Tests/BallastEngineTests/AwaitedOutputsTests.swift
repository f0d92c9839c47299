import BallastCore
import BallastTesting
import Foundation
import Testing

/// A cloud DNS record that points at an edge function's URL, where the edge site is a pull site:
/// the record waits for the agent's report, and so does a record that refers to it.
private let estate = """
apiVersion: ballast.dev/v1
kind: Site
metadata: { name: cloud }
spec: { class: cloud, provider: sim }
---
apiVersion: ballast.dev/v1
kind: Site
metadata: { name: edge }
spec: { class: edge, provider: sim, mode: pull }
---
apiVersion: ballast.dev/v1
kind: EdgeFunction
metadata: { name: api, site: edge }
spec: { runtime: javascript, code: "export default () => 1" }
---
apiVersion: ballast.dev/v1
kind: DNSRecord
metadata: { name: api, site: cloud }
spec: { zone: example.com, record: api, type: CNAME, value: "${EdgeFunction/api@edge.outputs.url}" }
---
apiVersion: ballast.dev/v1
kind: DNSRecord
metadata: { name: www, site: cloud }
spec: { zone: example.com, record: www, type: CNAME, value: "${DNSRecord/api.outputs.fqdn}" }
---
apiVersion: ballast.dev/v1
kind: Bucket
metadata: { name: assets, site: cloud }
spec: {}
"""

private let function = ResourceID(kind: "EdgeFunction", name: "api", site: "edge")
private let apiRecord = ResourceID(kind: "DNSRecord", name: "api", site: "cloud")
private let wwwRecord = ResourceID(kind: "DNSRecord", name: "www", site: "cloud")
private let bucket = ResourceID(kind: "Bucket", name: "assets", site: "cloud")

private func plan(observation: Observation) throws -> Plan {
    let loaded = TestManifests.load(estate)
    let desired = try #require(loaded.desired, "\(loaded.diagnostics.items.map(\.message))")
    let result = Planner(catalog: TestManifests.catalog).plan(.init(
        desired: desired, observation: observation, inventory: [:], secrets: [:], inputs: ["test.yaml"], inputDigest: "digest"))
    #expect(result.diagnostics.isEmpty, "\(result.diagnostics.map(\.message))")
    return result.plan
}

private func pullObservation() -> Observation {
    var observation = Observation()
    observation.agentSites["edge"] = "agent last reported 3 s ago"
    return observation
}

@Suite("Outputs awaited from pull sites' agents")
struct AwaitedOutputsTests {
    @Test func unreportedOutputsMakeTheirDependentsWaitAndNothingElse() throws {
        let plan = try plan(observation: pullObservation())
        #expect(plan.waiting.map(\.id) == [apiRecord, wwwRecord])
        #expect(plan.waiting.first?.reason == "waits for the outputs of EdgeFunction/api@edge, which the agent of pull site 'edge' has not reported")
        #expect(plan.waiting.last?.reason == "waits for DNSRecord/api@cloud, which waits for a pull site's agent")
        // Neither record is planned; the bucket, which needs nothing from the edge, is.
        #expect(plan.actions.map(\.id) == [bucket])
        #expect(plan.agentManaged.map(\.id) == [function])
        let text = PlanTextRenderer(style: .plain, sites: [:]).render(plan)
        #expect(text.contains("Waiting for pull sites' agents to report outputs (nothing planned):\n  * DNSRecord/api@cloud  (waits for the outputs of EdgeFunction/api@edge"))
        guard case .map(let json) = PlanJSON.encode(plan), case .list(let waiting)? = json["waiting"] else { Issue.record("no waiting list in the JSON plan"); return }
        #expect(waiting.count == 2)
    }

    @Test func reportedOutputsFillTheReference() throws {
        var observation = pullObservation()
        observation.reportedOutputs[function] = Fields(["url": .string("https://api.edge.example")])
        let plan = try plan(observation: observation)
        #expect(plan.waiting.isEmpty)
        let create = try #require(plan.actions.first { $0.id == apiRecord })
        #expect(create.action == .create)
        #expect(create.changes.first { $0.path == "value" }?.after == .string("https://api.edge.example"))
        // The second record reads an output of the first, created in the same run.
        #expect(plan.actions.first { $0.id == wwwRecord }?.changes.first { $0.path == "value" }?.afterUnknown == true)
    }

    @Test func anExistingRecordWaitsWithoutBlockingWhatReadsIt() throws {
        // The api record exists (applied before its reference changed); the www record reads
        // its current fqdn and is planned, while the api record waits.
        var observation = pullObservation()
        let spec = Fields(["zone": .string("example.com"), "record": .string("api"), "type": .string("CNAME"), "value": .string("old"), "ttl": .int(300)])
        observation.resources[apiRecord] = Observed(id: apiRecord, spec: spec, outputs: Fields(["fqdn": .string("api.example.com")]), revision: "1")
        let plan = try plan(observation: observation)
        #expect(plan.waiting.map(\.id) == [apiRecord])
        let www = try #require(plan.actions.first { $0.id == wwwRecord })
        #expect(www.changes.first { $0.path == "value" }?.after == .string("api.example.com"))
    }

    @Test func aPushOnlyEstateIsUnaffected() throws {
        var observation = Observation()
        observation.unavailableSites["edge"] = "not observed"
        let plan = try plan(observation: observation)
        #expect(plan.waiting.isEmpty)
    }
}

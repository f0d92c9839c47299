import BallastCore
import BallastTesting
import Testing

@Suite("Estate policy defaults")
struct PolicyDefaultsTests {
    @Test func aSettingTheResourceWroteWinsAndTheRestTakeTheDefaults() {
        let defaults = PolicyDefaults(values: Policy(preventDestroy: true, deletion: .orphan, prune: false), given: [.preventDestroy, .prune])
        // deletion is not given: the built-in default stays, whatever the values hold.
        #expect(defaults.applied(to: Policy(), written: []) == Policy(preventDestroy: true, prune: false))
        #expect(defaults.applied(to: Policy(prune: true), written: [.prune]) == Policy(preventDestroy: true, prune: true), "prune: true written beats the default")
        #expect(defaults.applied(to: Policy(preventDestroy: false), written: [.preventDestroy]) == Policy(prune: false))
        #expect(PolicyDefaults().applied(to: Policy(selfHeal: false), written: [.selfHeal]) == Policy(selfHeal: false))
    }

    @Test func manifestsGetTheEstateDefaultsAndKeepWhatTheyWrite() throws {
        let loaded = TestManifests.load("""
            \(TestManifests.sites(1))---
            apiVersion: ballast.dev/v1
            kind: Bucket
            metadata: { name: plain, site: site-0 }
            spec: {}
            ---
            apiVersion: ballast.dev/v1
            kind: Bucket
            metadata: { name: own, site: site-0 }
            spec: {}
            policy: { prune: true, management: full }
            ---
            apiVersion: ballast.dev/v1
            kind: Estate
            metadata: { name: prod }
            spec: { policy: { prune: false, management: observe } }
            """)
        let desired = try #require(loaded.desired, "\(loaded.diagnostics.items.map(\.message))")
        let policies = Dictionary(uniqueKeysWithValues: desired.resources.map { ($0.id.name, $0.policy) })
        #expect(policies["plain"] == Policy(management: .observe, prune: false))
        #expect(policies["own"] == Policy())
    }
}

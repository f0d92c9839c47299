import BallastCore
import BallastEngine
import BallastProviders
import BallastState
import BallastTesting
import Foundation
import Synchronization
import Testing

private let estate = TestManifests.oneSite + """
apiVersion: ballast.dev/v1
kind: Network
metadata: { name: net, site: s }
spec: { cidr: 10.0.0.0/16 }
---
apiVersion: ballast.dev/v1
kind: Subnet
metadata: { name: sub, site: s }
spec: { network: "${Network/net.outputs.id}", cidr: 10.0.1.0/24 }
---
apiVersion: ballast.dev/v1
kind: Bucket
metadata: { name: alone, site: s }

"""

private func id(_ text: String) -> ResourceID { ResourceID(parsing: text)! }

/// Plans `yaml` against the fake's world and executes the plan.
private func apply(_ yaml: String, provider: RecordingProvider, store: any StateStore, retry: RetryPolicy = RetryPolicy()) async throws -> (ApplyReport, Plan) {
    let registry = ProviderRegistry([provider])
    let planner = PlanService(registry: registry, store: store, secrets: FixedSecretSource(), logger: quietLogger)
    let outcome = try await planner.plan(planner.loader.load([ManifestInput(path: "t.yaml", bytes: Array(yaml.utf8))]), inputs: ["t.yaml"])
    let plan = try #require(outcome.plan, "\(outcome.diagnostics.items.map(\.message))")
    let executor = Executor(registry: registry, store: store, parallelism: 4, retry: retry, logger: quietLogger, sleep: { _ in })
    let service = ApplyService(planner: planner, executor: executor, logger: quietLogger)
    return (try await service.execute(plan, outcome: outcome, progress: SilentProgress()), plan)
}

private func simSchema() -> ProviderSchema { TestManifests.catalog.providers["sim"]! }

/// The estate planned against an empty fake, not executed.
private func plannedEstate() async throws -> (RecordingProvider, InMemoryStateStore, ProviderRegistry, PlanService, PlanService.Outcome) {
    let provider = RecordingProvider(name: "sim", schema: simSchema())
    let store = InMemoryStateStore()
    let registry = ProviderRegistry([provider])
    let planner = PlanService(registry: registry, store: store, secrets: FixedSecretSource(), logger: quietLogger)
    let outcome = try await planner.plan(planner.loader.load([ManifestInput(path: "t.yaml", bytes: Array(estate.utf8))]), inputs: ["t.yaml"])
    return (provider, store, registry, planner, outcome)
}

@Suite("Executor")
struct ExecutorTests {
    @Test func noProviderCallStartsWhenTheLeaseMayHaveLapsed() async throws {
        let (provider, store, registry, planner, outcome) = try await plannedEstate()
        let plan = try #require(outcome.plan)
        // The last renewal was asked for 28 s ago, with a 30 s ttl: less than the 5 s margin is left.
        let deadline = LeaseDeadline(margin: .seconds(5))
        deadline.renewed(askedAt: .now - .seconds(28), ttl: .seconds(30))
        let executor = Executor(registry: registry, store: store, leaseDeadline: deadline, logger: quietLogger, sleep: { _ in })
        let report = try await ApplyService(planner: planner, executor: executor, logger: quietLogger).execute(plan, outcome: outcome, progress: SilentProgress())
        #expect(!report.succeeded)
        #expect(provider.calls.allSatisfy { if case .observe = $0 { true } else { false } }, "no create, update or delete was started")
        #expect(report.results.contains { $0.error?.contains("is about to expire or was lost; no provider call was started") == true })
        // With the lease renewed, the same plan goes ahead.
        deadline.renewed(askedAt: .now, ttl: .seconds(30))
        #expect(deadline.allowsCall())
        deadline.released()
        #expect(deadline.allowsCall(), "no lease held: nothing to check against")
    }

    @Test func aReplicaCallsProvidersOnlyOnSitesWhoseLeaseItHolds() async throws {
        let (provider, store, registry, planner, outcome) = try await plannedEstate()
        let plan = try #require(outcome.plan)
        let deadline = LeaseDeadline(margin: .seconds(1))
        deadline.scopeBySite()
        deadline.renewed(key: "elsewhere", askedAt: .now, ttl: .seconds(600))
        let executor = Executor(registry: registry, store: store, leaseDeadline: deadline, logger: quietLogger, sleep: { _ in })
        let service = ApplyService(planner: planner, executor: executor, logger: quietLogger)
        let refused = try await service.execute(plan, outcome: outcome, progress: SilentProgress())
        #expect(!refused.succeeded)
        #expect(provider.calls.allSatisfy { if case .observe = $0 { true } else { false } }, "no lease on site s: no call on it")
        #expect(!deadline.allowsCall(site: "s"))
        // Granted, then lapsing: calls start only within the ttl less the margin.
        deadline.renewed(key: "s", askedAt: .now - .milliseconds(2500), ttl: .seconds(3))
        #expect(!deadline.allowsCall(site: "s"), "less than the margin is left")
        deadline.renewed(key: "s", askedAt: .now, ttl: .seconds(3))
        #expect(deadline.allowsCall(site: "s"))
        #expect(deadline.heldKeys() == ["elsewhere", "s"])
        deadline.dropped(key: "s")
        #expect(!deadline.allowsCall(site: "s"))
    }

    @Test func createsFollowDependenciesAndFillReferences() async throws {
        let provider = RecordingProvider(name: "sim", schema: simSchema())
        let store = InMemoryStateStore()
        let (report, _) = try await apply(estate, provider: provider, store: store)
        #expect(report.succeeded)
        let creates = provider.calls.compactMap { if case .create(let id) = $0 { id } else { nil } }
        #expect(creates.firstIndex(of: id("Network/net@s"))! < creates.firstIndex(of: id("Subnet/sub@s"))!)
        let networkID = provider.world[id("Network/net@s")]?.outputs["id"]
        #expect(provider.world[id("Subnet/sub@s")]?.spec["network"] == networkID)
        #expect(await store.inventory().count == 3)
        let events = try await store.events(since: nil)
        #expect(events.count == 3 && events.allSatisfy { $0.outcome?.status == .succeeded })
    }

    @Test func retryableErrorsAreRetriedUntilTheySucceed() async throws {
        let failures = Mutex(2)
        let provider = RecordingProvider(name: "sim", schema: simSchema()) { call in
            guard case .create(let target) = call, target.name == "alone" else { return nil }
            return failures.withLock { remaining in
                guard remaining > 0 else { return nil }
                remaining -= 1
                return ProviderError(.throttled, "slow down")
            }
        }
        let (report, _) = try await apply(estate, provider: provider, store: InMemoryStateStore())
        #expect(report.succeeded)
        #expect(report.results.first { $0.id.name == "alone" }?.attempts == 3)
    }

    @Test func aTerminalFailureSkipsDependentsAndOthersGoOn() async throws {
        let provider = RecordingProvider(name: "sim", schema: simSchema()) { call in
            if case .create(let target) = call, target.name == "net" { return ProviderError(.invalid, "bad cidr") }
            return nil
        }
        let store = InMemoryStateStore()
        let (report, _) = try await apply(estate, provider: provider, store: store)
        #expect(report.summaryLine == "Apply incomplete: 1 applied, 1 failed, 1 skipped.")
        #expect(report.results.first { $0.id.name == "net" }?.attempts == 1, "terminal errors are not retried")
        #expect(report.results.first { $0.id.name == "sub" }?.skipCause == .dependencyFailed(id("Network/net@s")))
        #expect(provider.calls.filter { if case .create = $0 { true } else { false } }.count == 2)
        let statuses = try await store.events(since: nil).compactMap(\.outcome?.status)
        #expect(statuses.sorted(by: { $0.rawValue < $1.rawValue }) == [.failed, .skipped, .succeeded])

        // Once the cause is fixed, a second run does only what is left.
        let fixed = RecordingProvider(name: "sim", schema: simSchema())
        for observed in provider.world.values { fixed.seed(observed) }
        let (second, _) = try await apply(estate, provider: fixed, store: store)
        #expect(second.results.map(\.id.name).sorted() == ["net", "sub"])
    }

    @Test func retriesGiveUpAfterTheBudget() async throws {
        let provider = RecordingProvider(name: "sim", schema: simSchema()) { call in
            if case .create(let target) = call, target.name == "alone" { return ProviderError(.unavailable, "down") }
            return nil
        }
        let (report, _) = try await apply(estate, provider: provider, store: InMemoryStateStore(), retry: RetryPolicy(maxAttempts: 3))
        let failed = try #require(report.results.first { $0.id.name == "alone" })
        #expect(failed.status == .failed && failed.attempts == 3)
        #expect(failed.error?.contains("gave up after 3 attempts") == true)
    }

    @Test func replaceDeletesThenCreates() async throws {
        let provider = RecordingProvider(name: "sim", schema: simSchema())
        let store = InMemoryStateStore()
        _ = try await apply(estate, provider: provider, store: store)
        let changed = estate.replacingOccurrences(of: "10.0.0.0/16", with: "10.9.0.0/16")
        let before = provider.calls.count
        let (report, plan) = try await apply(changed, provider: provider, store: store)
        #expect(plan.actions.first { $0.id.name == "net" }?.action == .replace)
        #expect(report.succeeded)
        let calls = Array(provider.calls[before...]).filter { if case .observe = $0 { false } else { true } }
        #expect(calls.prefix(2) == [.delete(id("Network/net@s")), .create(id("Network/net@s"))])
        // The subnet's reference followed the new network id.
        #expect(provider.world[id("Subnet/sub@s")]?.spec["network"] == provider.world[id("Network/net@s")]?.outputs["id"])
    }

    @Test func undeclaredResourcesAreDeletedDependentsFirst() async throws {
        let provider = RecordingProvider(name: "sim", schema: simSchema())
        let store = InMemoryStateStore()
        _ = try await apply(estate, provider: provider, store: store)
        let onlyBucket = String(estate.prefix(upTo: estate.range(of: "apiVersion: ballast.dev/v1\nkind: Network")!.lowerBound))
            + "apiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: { name: alone, site: s }\n"
        let before = provider.calls.count
        let (report, _) = try await apply(onlyBucket, provider: provider, store: store)
        #expect(report.succeeded)
        let deletes = provider.calls[before...].compactMap { if case .delete(let id) = $0 { id } else { nil } }
        #expect(deletes == [id("Subnet/sub@s"), id("Network/net@s")])
        #expect(await store.inventory().keys.map(\.name) == ["alone"])
    }
}

@Suite("Executor parallelism")
struct ExecutorParallelismTests {
    @Test(arguments: [1, 3])
    func noMoreThanTheParallelismRunAtOnce(parallelism: Int) async throws {
        let buckets = (0..<9).map { "---\napiVersion: ballast.dev/v1\nkind: Bucket\nmetadata: { name: b\($0), site: s }\n" }.joined()
        let yaml = "apiVersion: ballast.dev/v1\nkind: Site\nmetadata: { name: s }\nspec: { class: cloud, provider: sim }\n" + buckets
        let provider = RecordingProvider(name: "sim", schema: TestManifests.catalog.providers["sim"]!, latency: .milliseconds(20))
        let registry = ProviderRegistry([provider])
        let store = InMemoryStateStore()
        let planner = PlanService(registry: registry, store: store, secrets: FixedSecretSource(), logger: quietLogger)
        let outcome = try await planner.plan(planner.loader.load([ManifestInput(path: "t.yaml", bytes: Array(yaml.utf8))]), inputs: ["t.yaml"])
        let executor = Executor(registry: registry, store: store, parallelism: parallelism, logger: quietLogger, sleep: { _ in })
        let report = try await ApplyService(planner: planner, executor: executor, logger: quietLogger)
            .execute(try #require(outcome.plan), outcome: outcome, progress: SilentProgress())
        #expect(report.count(.applied) == 9)
        #expect(provider.maxConcurrentCalls == parallelism, "independent creates fill the parallelism, and never exceed it")
    }
}

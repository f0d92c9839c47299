import BallastCore
import BallastProviders
import Logging
import Synchronization

/// Observes every site concurrently (bounded), each with a timeout.
///
/// A site that fails or times out is reported as unavailable; it never blocks the others.
public struct Observer: Sendable {
    public var registry: ProviderRegistry
    public var maxConcurrentSites: Int
    public var timeout: Duration
    public var logger: Logger

    public init(registry: ProviderRegistry, maxConcurrentSites: Int = 8, timeout: Duration = .seconds(30), logger: Logger) {
        self.registry = registry
        self.maxConcurrentSites = max(1, maxConcurrentSites)
        self.timeout = timeout
        self.logger = logger
    }

    /// How a pull site reads when nothing is known of its agent.
    public static let managedByAgent = "managed by its agent"

    /// Observes the given ids, grouped by site. Pull sites are not observed: they are listed in
    /// ``Observation/agentSites``.
    public func observe(_ ids: [ResourceID], sites: [String: Site]) async -> Observation {
        let bySite = Dictionary(grouping: ids, by: \.site)
        var observation = Observation()
        observation.resources.reserveCapacity(ids.count)
        let work = bySite.keys.sorted().compactMap { name -> (Site, [ResourceID])? in
            guard let site = sites[name] else { return nil }
            // A pull site's provider is called by its agent alone, never from here.
            if site.isPull {
                observation.agentSites[name] = Self.managedByAgent
                return nil
            }
            return (site, bySite[name]!.sorted())
        }
        // Each site's answer is merged by the task that got it, the moment it arrives, and then
        // let go of: answers left for this task to collect piled up (a 100k-resource plan held
        // every site's answer and the merged table at once, 26 MB more at its peak).
        let merged = Merged(consume observation)
        await withTaskGroup(of: Void.self) { group in
            var next = 0
            func startNext() {
                guard next < work.count else { return }
                let (site, ids) = work[next]
                next += 1
                group.addTask {
                    switch await observeSite(site, ids) {
                    case .success(let found):
                        merged.state.withLock { $0.resources.mergeKeepingExisting(found) }
                    case .failure(let error):
                        logger.warning("site could not be observed", metadata: ["site": "\(site.name)", "error": "\(error)"])
                        merged.state.withLock { $0.unavailableSites[site.name] = error.message }
                    }
                }
            }
            for _ in 0..<min(maxConcurrentSites, work.count) { startNext() }
            while await group.next() != nil { startNext() }
        }
        return merged.state.withLock { result in
            // Taken out, not copied: the table has one owner.
            var taken = Observation()
            swap(&result, &taken)
            return taken
        }
    }

    private func observeSite(_ site: Site, _ ids: [ResourceID]) async -> Result<[ResourceID: Observed], ProviderError> {
        guard let provider = registry.provider(named: site.provider) else {
            return .failure(ProviderError(.unavailable, "provider '\(site.provider)' is not available"))
        }
        // Only a throttled or busy site is asked again: one that is down stays down for this run.
        let (result, _) = await RetryPolicy.observation.run(
            retryable: { [.throttled, .conflict].contains($0.code) }, sleep: { try await Task.sleep(for: $0) }, random: { Double.random(in: 0..<1) }
        ) { () async throws(ProviderError) in
            try await Self.withTimeout(timeout, site: site.name) { try await provider.observe(ids, site: site) }.get()
        }
        return result
    }

    /// Runs `body`, failing with a timeout error when it takes longer than `limit`.
    static func withTimeout<T: Sendable>(_ limit: Duration, site: String, _ body: @escaping @Sendable () async throws -> T) async -> Result<T, ProviderError> {
        await withTaskGroup(of: Result<T, ProviderError>?.self) { group in
            group.addTask {
                do {
                    return .success(try await body())
                } catch let error as ProviderError {
                    return .failure(error)
                } catch is CancellationError {
                    return nil
                } catch {
                    return .failure(ProviderError(.failed, "\(error)"))
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                if Task.isCancelled { return nil }
                return .failure(ProviderError(.timeout, "site \(site) did not answer within \(limit)"))
            }
            defer { group.cancelAll() }
            while let result = await group.next() {
                if let result { return result }
            }
            return .failure(ProviderError(.timeout, "cancelled"))
        }
    }
}

/// The observation the site tasks merge into as their answers arrive.
private final class Merged: Sendable {
    let state: Mutex<Observation>

    init(_ observation: Observation) {
        state = Mutex(observation)
    }
}

import BallastCore
import BallastProviders
import BallastState
import Foundation
import Logging

/// Loads manifests, observes the sites and plans: the whole of `ballast plan`.
public struct PlanService: Sendable {
    public var registry: ProviderRegistry
    public var store: any StateStore
    public var secrets: any SecretSource
    /// What the manifests may read from this machine: unrestricted for the user's own files,
    /// restricted for a git source's (``ManifestReadPolicy``). Applies to secrets and to
    /// `source` fields alike.
    public var readPolicy: ManifestReadPolicy = .unrestricted
    public var observer: Observer
    /// The loader for the providers known when the service was made. ``load(_:readStandardInput:)``
    /// uses a newer one when sites name providers described since (plugins), unless this one
    /// was given.
    public var loader: ManifestLoader
    private let loaderWasGiven: Bool
    public var logger: Logger
    /// The state's plan key (``PlanKey``): keys the secrets digest and seals saved plans.
    public var planKey: [UInt8]
    /// Checked against the deletions pruning makes (``Plan/massDeletion``); nil checks nothing.
    public var budget: DeletionBudget?
    /// Learns every secret value resolved, for everything that prints, logs or stores text.
    public var redactor: SecretRedactor
    /// Where relative data paths in site config are resolved (``SiteDataPaths``): the state
    /// directory, made absolute. Nil leaves them as written.
    public var dataDirectory: String?
    /// The schemas pull sites' agents report, registered in ``registry`` as a source; nil when
    /// this process does not take them (an agent).
    public var reportedSchemas: ReportedProviderSchemas?
    /// How long a site that could not be observed while planning is taken to have been
    /// unavailable, for failover. Nil (`plan`, `apply`): long enough to fail over, since one
    /// run cannot time an outage. Watch mode's start-up says zero: it times outages itself.
    public var plannedOutageAge: Duration?
    /// Called once every site is observed, before planning. `plan`, which calls no provider
    /// again, has providers let go of their caches there and gives the freed pages back to the
    /// system; nil (`apply`, watch mode) keeps them, as they are called right after.
    public var onceObserved: (@Sendable () async -> Void)?

    public init(registry: ProviderRegistry, store: any StateStore, secrets: any SecretSource = SystemSecretSource(), observeTimeout: Duration = .seconds(30), loader: ManifestLoader? = nil, planKey: [UInt8] = [], budget: DeletionBudget? = .standard, redactor: SecretRedactor = SecretRedactor(), dataDirectory: String? = nil, reportedSchemas: ReportedProviderSchemas? = nil, logger: Logger) {
        self.reportedSchemas = reportedSchemas
        self.registry = registry
        self.store = store
        self.secrets = secrets
        self.planKey = planKey
        self.budget = budget
        self.redactor = redactor
        self.dataDirectory = dataDirectory
        self.observer = Observer(registry: registry, timeout: observeTimeout, logger: logger)
        self.loader = loader ?? ManifestLoader(catalog: registry.catalog)
        loaderWasGiven = loader != nil
        self.logger = logger
    }

    /// Everything a plan run produced; `plan` is nil when there were errors.
    public struct Outcome: Sendable {
        public var loaded: LoadedManifests
        public var diagnostics: Diagnostics
        public var plan: Plan?
        public var observation: Observation?
        /// Resolved secret values, for apply only: never printed or saved.
        public var secrets: [ReferenceExpression: String] = [:]
        public var inventory: Inventory = [:]
        /// The source revision (a git commit) the manifests were read at, recorded with every
        /// journal entry an execution of this plan writes.
        public var revision: String?
    }

    /// Loads and validates manifests. When their sites use found providers (plugins) not yet
    /// described, those are described, and the manifests loaded again against their schemas:
    /// a plugin is started only for the commands whose manifests use it.
    public func load(_ paths: [String], readStandardInput: @escaping () -> [UInt8]) -> LoadedManifests {
        let start = ContinuousClock.now
        var standardInput: [UInt8]?
        let readOnce = {
            if standardInput == nil { standardInput = readStandardInput() }
            return standardInput!
        }
        var current = loaderWasGiven ? loader : ManifestLoader(catalog: registry.catalog, yaml: loader.yaml)
        current.readPolicy = readPolicy
        var loaded = current.load(paths: paths, readStandardInput: readOnce)
        let undescribed = loaded.siteProviders.keys.filter { current.catalog.providers[$0] == nil }
        if !loaderWasGiven, !undescribed.isEmpty {
            let catalog = registry.catalog(describing: undescribed)
            // A site whose plugin is missing or did not answer cannot be validated or planned;
            // unless only pull sites use it: their agents have it, and check the manifests until
            // one reports its schema (ReportedProviderSchemas). Its kinds are then taken as
            // written, in the same second load.
            let pullOnly = loaded.providersOnlyPullSitesUse
            let acceptsUnknownKinds = undescribed.contains { catalog.providers[$0] == nil && pullOnly.contains($0) }
            if acceptsUnknownKinds || catalog.providers.count > current.catalog.providers.count {
                current = ManifestLoader(catalog: catalog, yaml: loader.yaml, acceptsUnknownKinds: acceptsUnknownKinds)
                current.readPolicy = readPolicy
                loaded = current.load(paths: paths, readStandardInput: readOnce)
            }
            var problems: [Diagnostic] = []
            for (name, location) in loaded.siteProviders where current.catalog.providers[name] == nil {
                guard let problem = registry.unavailability(of: name) else { continue }
                if pullOnly.contains(name) {
                    problems.append(.warning("provider '\(name)' is not installed here, and no agent of a pull site that uses it has reported its schema yet: those sites' resources are checked only by their agents until one does", at: location))
                } else {
                    problems.append(.error("provider '\(name)' is not available: \(problem)", at: location))
                }
            }
            if !problems.isEmpty {
                loaded.diagnostics = Diagnostics(loaded.diagnostics.items + problems)
                if problems.contains(where: { $0.severity == .error }) { loaded.desired = nil }
            }
        }
        if let dataDirectory, loaded.desired != nil { SiteDataPaths.resolve(&loaded.desired!, catalog: current.catalog, directory: dataDirectory) }
        logger.debug("loaded manifests", metadata: ["documents": "\(loaded.documentCount)", "elapsed": "\(ContinuousClock.now - start)"])
        return loaded
    }

    /// Loads `paths` and plans (``plan(_:inputs:fromGit:prunes:)``).
    public func plan(_ paths: [String], fromGit: Bool = false, prunes: Bool = true, readStandardInput: @escaping () -> [UInt8] = { [] }) async throws -> Outcome {
        var loaded = load(paths, readStandardInput: readStandardInput)
        // Pull sites whose plugin only their agents have: loaded again against the schemas the
        // agents reported, when the state holds some.
        if await learnReportedSchemas(for: loaded) {
            var input: [UInt8]?
            loaded = load(paths, readStandardInput: {
                if input == nil { input = readStandardInput() }
                return input!
            })
        }
        return try await plan(loaded, inputs: paths, fromGit: fromGit, prunes: prunes)
    }

    /// Learns, from the agents' reports the state holds, the schemas of plugins only pull sites
    /// use and this machine does not have: each agent's for its own site's provider. True when
    /// one was new.
    func learnReportedSchemas(for loaded: LoadedManifests) async -> Bool {
        guard let reportedSchemas else { return false }
        let wanted = loaded.providersOnlyPullSitesUse.filter { registry.catalog.providers[$0] == nil || reportedSchemas.knows($0) }
        guard !wanted.isEmpty, let reports = try? await store.agentReports() else { return false }
        var learned = false
        for record in reports.sorted(by: { $0.receivedAt < $1.receivedAt }) {
            guard let provider = loaded.pullSiteProviders[record.site], wanted.contains(provider),
                  let report = try? AgentReportDocument(record.body, site: record.site), let schema = report.schemas[provider] else { continue }
            if reportedSchemas.learn(schema) { learned = true }
        }
        return learned
    }

    /// - Parameter fromGit: whether `inputs` are a git source's checkout (no ``ManifestScope``:
    ///   each commit is read from a directory of its own).
    /// - Parameter prunes: false plans no deletion of what the manifests do not declare (see
    ///   ``Planner/Input/prunes``); those resources are still read and observed.
    public func plan(_ loaded: LoadedManifests, inputs: [String], fromGit: Bool = false, prunes: Bool = true) async throws -> Outcome {
        var loaded = loaded
        var diagnostics = loaded.diagnostics
        guard var desired = loaded.desired else {
            return Outcome(loaded: loaded, diagnostics: diagnostics, plan: nil, observation: nil)
        }
        let (secretValues, secretProblems) = SecretResolver(source: secrets, policy: readPolicy).resolve(desired)
        redactor.learn(secretValues)
        diagnostics.append(contentsOf: secretProblems)
        if diagnostics.hasErrors {
            return Outcome(loaded: loaded, diagnostics: diagnostics, plan: nil, observation: nil)
        }
        // Read the inventory while the sites are observed; then observe what only the
        // inventory names (managed, no longer declared: candidates for deletion).
        let start = ContinuousClock.now
        async let inventoryRead = store.inventory()
        async let declaredObservation = observer.observe(desired.resources.map(\.id), sites: desired.sites)
        let inventory = try await inventoryRead
        var observation = await declaredObservation
        if !desired.countPlacements.isEmpty {
            // Where `count` placements go, given where their instances exist now and which
            // sites could not be observed (failed, for failover: this run cannot know for how long).
            let seen = observation
            let facts = PlacementFacts(
                existing: PlacementFacts.instances(of: desired, inventory: inventory) { entry in
                    entry.status != .failed && seen.resources[entry.id] != nil && seen.unavailableSites[entry.id.site] == nil
                },
                outages: observation.unavailableSites.mapValues { [plannedOutageAge] in PlacementFacts.Outage(lasted: plannedOutageAge, reason: $0) })
            let (chosen, problems) = PlacementChooser.choose(desired, facts: facts, catalog: loaderWasGiven ? loader.catalog : registry.catalog)
            desired = chosen
            loaded.desired = chosen
            diagnostics.append(contentsOf: problems)
            for (id, reason) in chosen.failover.impossible.sorted(by: { $0.key < $1.key }) {
                diagnostics.warning("\(id) cannot fail over: \(reason)", at: nil)
            }
        }
        let notDeclared = Planner.undeclared(inventory, declared: desired.resources)
        // Resources whose file was left out of this run's paths, rather than emptied.
        var manifestsNotGiven: [ResourceID: ManifestScope.LeftOut] = [:]
        let runScope = prunes ? ManifestScope.forRun(paths: inputs, fromGit: fromGit) : nil
        if var scope = runScope {
            // Many resources share a file: each is looked at once.
            var answers: [String: ManifestScope.LeftOut?] = [:]
            var relocationsLearned = false
            for id in notDeclared {
                guard let manifest = inventory[id]?.manifest else { continue }
                if answers[manifest] == nil {
                    // A recorded file that is gone from outside the paths read may have moved
                    // with its tree: learnt from where the declared resources were recorded, only
                    // then (a file deleted from a directory given needs none of it).
                    if !relocationsLearned, !scope.covers(manifest), !ManifestScope.isPresent(manifest) {
                        scope.learnRelocations(desired.resources.lazy.compactMap { resource in
                            guard let current = resource.manifest, let recorded = inventory[resource.id]?.manifest else { return nil }
                            return (recorded, current)
                        })
                        relocationsLearned = true
                    }
                    answers[manifest] = .some(scope.notGiven(manifest))
                }
                manifestsNotGiven[id] = answers[manifest] ?? nil
            }
            MovedDocuments.lookFor(&manifestsNotGiven, undeclared: notDeclared, scope: scope, inventory: inventory, yaml: loader.yaml)
        }
        if prunes {
            let hidden = HiddenDeclarations(directories: inputs, yaml: loader.yaml)
            for id in notDeclared where manifestsNotGiven[id] == nil {
                manifestsNotGiven[id] = hidden.leftOut(id) { runScope?.named($0) ?? $0 }
            }
        }
        let undeclared = notDeclared.filter { desired.sites[$0.site] != nil }
        if !undeclared.isEmpty {
            let more = await observer.observe(undeclared, sites: desired.sites)
            observation.resources.mergeKeepingExisting(more.resources)
            observation.unavailableSites.merge(more.unavailableSites) { first, _ in first }
        }
        await onceObserved?()
        if !observation.agentSites.isEmpty {
            let reports = (try? await store.agentReports()) ?? []
            for site in observation.agentSites.keys {
                observation.agentSites[site] = await AgentHub.describe(site: site, store: store, now: Date())
                guard let stored = reports.first(where: { $0.site == site }), let report = try? AgentReportDocument(stored.body, site: site) else { continue }
                for status in report.resources { observation.agentReported[status.id] = status.summary }
                for (id, outputs) in report.outputs where desired.sites[id.site]?.isPull == true { observation.reportedOutputs[id] = outputs }
            }
        }
        logger.debug("read the inventory and observed sites", metadata: ["managed": "\(inventory.count)", "observed": "\(observation.resources.count)", "elapsed": "\(ContinuousClock.now - start)"])
        let planStart = ContinuousClock.now
        let (plan, planProblems) = Planner(catalog: loaderWasGiven ? loader.catalog : registry.catalog).plan(.init(
            desired: desired, observation: observation, inventory: inventory, secrets: secretValues,
            inputs: inputs, inputDigest: loaded.inputDigest, secretsKey: planKey, budget: budget, manifestsNotGiven: manifestsNotGiven, prunes: prunes))
        logger.debug("planned", metadata: ["actions": "\(plan.actions.count)", "elapsed": "\(ContinuousClock.now - planStart)"])
        diagnostics.append(contentsOf: planProblems)
        for warning in plan.warnings { diagnostics.warning(warning, at: nil) }
        return Outcome(loaded: loaded, diagnostics: diagnostics, plan: diagnostics.hasErrors ? nil : plan, observation: observation, secrets: secretValues, inventory: inventory)
    }
}

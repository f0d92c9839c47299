import BallastCore
import BallastProviders
import BallastState
import Logging

/// Loads manifests, observes the sites and plans: the whole of `ballast plan`.
public struct PlanService: Sendable {
    public var registry: ProviderRegistry
    public var store: any StateStore
    public var secrets: any SecretSource
    public var observer: Observer
    public var loader: ManifestLoader
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

    public init(registry: ProviderRegistry, store: any StateStore, secrets: any SecretSource = SystemSecretSource(), observeTimeout: Duration = .seconds(30), loader: ManifestLoader? = nil, planKey: [UInt8] = [], budget: DeletionBudget? = .standard, redactor: SecretRedactor = SecretRedactor(), dataDirectory: String? = nil, logger: Logger) {
        self.registry = registry
        self.store = store
        self.secrets = secrets
        self.planKey = planKey
        self.budget = budget
        self.redactor = redactor
        self.dataDirectory = dataDirectory
        self.observer = Observer(registry: registry, timeout: observeTimeout, logger: logger)
        self.loader = loader ?? ManifestLoader(catalog: registry.catalog)
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
        public var inventory: [ResourceID: InventoryEntry] = [:]
    }

    public func load(_ paths: [String], readStandardInput: @escaping () -> [UInt8]) -> LoadedManifests {
        let start = ContinuousClock.now
        var loaded = loader.load(paths: paths, readStandardInput: readStandardInput)
        if let dataDirectory, loaded.desired != nil { SiteDataPaths.resolve(&loaded.desired!, catalog: loader.catalog, directory: dataDirectory) }
        logger.debug("loaded manifests", metadata: ["documents": "\(loaded.documentCount)", "elapsed": "\(ContinuousClock.now - start)"])
        return loaded
    }

    public func plan(_ paths: [String], readStandardInput: @escaping () -> [UInt8] = { [] }) async throws -> Outcome {
        let loaded = load(paths, readStandardInput: readStandardInput)
        return try await plan(loaded, inputs: paths)
    }

    public func plan(_ loaded: LoadedManifests, inputs: [String]) async throws -> Outcome {
        var diagnostics = loaded.diagnostics
        guard let desired = loaded.desired else {
            return Outcome(loaded: loaded, diagnostics: diagnostics, plan: nil, observation: nil)
        }
        let (secretValues, secretProblems) = SecretResolver(source: secrets).resolve(desired)
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
        let undeclared = Planner.undeclared(inventory, declared: desired.resources).filter { desired.sites[$0.site] != nil }
        if !undeclared.isEmpty {
            let more = await observer.observe(undeclared, sites: desired.sites)
            observation.resources.merge(more.resources) { first, _ in first }
            observation.unavailableSites.merge(more.unavailableSites) { first, _ in first }
        }
        logger.debug("read the inventory and observed sites", metadata: ["managed": "\(inventory.count)", "observed": "\(observation.resources.count)", "elapsed": "\(ContinuousClock.now - start)"])
        let planStart = ContinuousClock.now
        let (plan, planProblems) = Planner(catalog: loader.catalog).plan(.init(
            desired: desired, observation: observation, inventory: inventory, secrets: secretValues,
            inputs: inputs, inputDigest: loaded.inputDigest, secretsKey: planKey, budget: budget))
        logger.debug("planned", metadata: ["actions": "\(plan.actions.count)", "elapsed": "\(ContinuousClock.now - planStart)"])
        diagnostics.append(contentsOf: planProblems)
        for warning in plan.warnings { diagnostics.warning(warning, at: nil) }
        return Outcome(loaded: loaded, diagnostics: diagnostics, plan: diagnostics.hasErrors ? nil : plan, observation: observation, secrets: secretValues, inventory: inventory)
    }
}

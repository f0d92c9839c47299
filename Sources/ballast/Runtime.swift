import ArgumentParser
import BallastAWS
import BallastHost
import BallastPlugins
import BallastCore
import BallastEngine
import BallastProviders
import BallastPostgres
import BallastSim
import BallastSQLite
import BallastState
import Foundation
import Logging
import CoreMetrics

/// The collaborators one CLI run uses, built from its options. Nothing here is global.
struct Runtime {
    let state: StateLocation
    /// Local data: the sim world, generated tokens, plugin and host data.
    let dataDirectory: String
    let stateIsNamed: Bool
    let logger: Logger
    let simWorld: SimWorldStore
    let registry: ProviderRegistry
    /// Schemas of plugins only pull sites' agents have, as they report them (a source of
    /// ``registry``, after the plugins found here).
    let reportedSchemas = ReportedProviderSchemas()
    /// Shared by everything this run prints, logs or stores: knows every secret value resolved.
    let redactor = SecretRedactor()

    /// `quietLevel` is the log level without --verbose (the daemon logs what it does at info).
    init(_ options: RuntimeOptions, quietLevel: Logger.Level = .error) throws {
        let environment = ProcessInfo.processInfo.environment
        do {
            state = try StateLocation(options.stateText, passwordFile: options.postgresPasswordFile, environment: environment)
        } catch {
            Terminal.standardError("ballast: error: --state: \(error)\n")
            throw ExitCode.failure
        }
        dataDirectory = state.dataDirectory(option: options.dataDirectory, environment: environment)
        stateIsNamed = options.stateIsNamed
        let level: Logger.Level = options.verbose ? .debug : quietLevel
        let redactor = self.redactor
        let format: LogFormat
        do {
            format = try options.resolvedLogFormat()
        } catch {
            Terminal.standardError("ballast: error: \(error)\n")
            throw ExitCode.validationFailure
        }
        var logger = Logger(label: "ballast") { label in
            var handler: any LogHandler = format == .json
                ? JSONLogHandler(label: label, write: { Terminal.standardError($0) })
                : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return RedactingLogHandler(wrapping: handler, redactor: redactor)
        }
        logger.logLevel = level
        self.logger = logger
        if case .postgres(let url) = state, let password = url.password { redactor.learn([password]) }
        simWorld = SimWorldStore(directory: dataDirectory + "/sim")
        let seed = environment["BALLAST_SIM_SEED"].flatMap { UInt64($0) }
        let random = SimRandom(seed: seed)
        var registry = ProviderRegistry([
            SimProvider(world: simWorld, random: { random.next() }),
            AWSProvider(client: AWSHTTPClient()),
            HostProvider(stateDirectory: dataDirectory),
        ])
        // BALLAST_PLUGIN_TIMEOUT bounds every call to a plugin, its handshake included.
        let pluginTimeout = environment["BALLAST_PLUGIN_TIMEOUT"].flatMap(Terminal.duration).map { max($0, .milliseconds(100)) }
        registry.register(PluginDiscovery(
            configured: (environment["BALLAST_PLUGIN_PATH"] ?? "").split(separator: ":").map(String.init),
            stateDirectory: dataDirectory, path: environment["PATH"],
            callTimeout: pluginTimeout ?? .seconds(30), probeTimeout: pluginTimeout ?? .seconds(10),
            logger: logger))
        registry.register(reportedSchemas)
        self.registry = registry
    }

    /// The state as `status` shows it: the SQLite file, or the URL without its password.
    var statePath: String {
        switch state {
        case .directory(let directory): StateLocation.sqlitePath(directory)
        case .postgres(let url): url.description
        }
    }

    /// The data directory as an absolute path: relative data paths in site config resolve to it.
    var absoluteDataDirectory: String {
        let path = dataDirectory.hasPrefix("/") ? dataDirectory : FileManager.default.currentDirectoryPath + "/" + dataDirectory
        return (path as NSString).standardizingPath
    }

    /// The state store; a clear error when it cannot be opened.
    ///
    /// `creating`: whether this command may create the state (`apply`, `watch`, `plan --out`).
    /// `destroy`, `forget` and `force-unlock` act on an existing state only: on a missing one
    /// (a mistyped --state) they fail naming it instead of creating an empty state.
    func store(creating: Bool = true) async throws -> any StateStore {
        try await open(state, creating ? .create : .existing)
    }

    /// The existing state, opened read-only, for commands that only read it (`get`, `status`,
    /// `events`, `drift`, `plan` without `--out`): they never create a state, and work on a
    /// read-only state directory (or with a PostgreSQL role that may only read).
    ///
    /// A missing state is an error naming it (a mistyped --state must not read as "no
    /// resources"), except for `plan` when `allowsNewEstate` and the state is the default one,
    /// a directory that exists, or an empty PostgreSQL schema: that plans a new estate against
    /// an empty state.
    func existingStore(allowsNewEstate: Bool = false) async throws -> any StateStore {
        var newEstate = allowsNewEstate
        if case .directory(let directory) = state {
            var isDirectory: ObjCBool = false
            let directoryExists = FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) && isDirectory.boolValue
            newEstate = allowsNewEstate && (!stateIsNamed || directoryExists)
        }
        return try await open(state, .readOnly, newEstate: newEstate)
    }

    /// Opens `location`; the one place a failure to open a state is worded. `newEstate`: a
    /// missing state reads as an empty one instead of an error.
    func open(_ location: StateLocation, _ access: PostgresStateStore.Access, newEstate: Bool = false) async throws -> any StateStore {
        do {
            return try await location.open(access, logger: logger)
        } catch is StateLocation.Missing {
            if newEstate { return InMemoryStateStore() }
            missingState(location)
        } catch {
            Terminal.standardError("ballast: error: \(redactor.redact("\(error)"))\n")
        }
        throw ExitCode.failure
    }

    /// The one error for a state that does not exist where a command needs one.
    private func missingState(_ location: StateLocation) {
        switch location {
        case .directory(let directory):
            let path = directory.hasPrefix("/") ? directory : FileManager.default.currentDirectoryPath + "/" + directory
            Terminal.standardError("ballast: error: there is no state at \((path as NSString).standardizingPath)/state.db: nothing has been applied with this state directory; check --state and BALLAST_STATE (`ballast apply` creates a state)\n")
        case .postgres(let url):
            Terminal.standardError("ballast: error: \(PostgresStateStore.NoState(url: url))\n")
        }
    }

    /// Loads and validates manifests (no state needed).
    func load(_ paths: [String], readPolicy: ManifestReadPolicy = .unrestricted) -> LoadedManifests {
        var planner = planService(store: InMemoryStateStore())
        planner.readPolicy = readPolicy
        return planner.load(paths, readStandardInput: Terminal.readStandardInput)
    }

    /// Loads and validates what a command was pointed at.
    func load(_ checkout: ManifestCheckout) -> LoadedManifests {
        load(checkout.paths, readPolicy: checkout.readPolicy)
    }

    func planService(store: any StateStore, planKey: [UInt8] = []) -> PlanService {
        PlanService(registry: registry, store: store, planKey: planKey, redactor: redactor, dataDirectory: absoluteDataDirectory, reportedSchemas: reportedSchemas, logger: logger)
    }

    /// The state's plan key; created with the state by commands that write (`creating`), a
    /// throwaway one for read-only commands on a state that has none (nothing saved, nothing
    /// to compare with).
    func planKey(store: any StateStore, creating: Bool) async throws -> [UInt8] {
        do {
            if let key = try await store.planKey(create: creating) { return key }
        } catch {
            Terminal.standardError("ballast: error: \(error)\n")
            throw ExitCode.failure
        }
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// `creatingKey`: whether this command may create the state's plan key (see ``planKey(creating:)``).
    /// `announcer`: makes the events for the event sinks, when `--events-sink` is given.
    func applyService(store: any StateStore, parallelism: Int = 10, creatingKey: Bool = true, announcer: EventAnnouncer? = nil) async throws -> ApplyService {
        let failpoints: Failpoints
        switch Failpoints.parse(ProcessInfo.processInfo.environment["BALLAST_FAILPOINT"]) {
        case .success(let parsed): failpoints = parsed
        case .failure(let error):
            Terminal.standardError("ballast: error: \(error)\n")
            throw ExitCode.failure
        }
        let executor = Executor(registry: registry, store: store, parallelism: parallelism, failpoints: failpoints, redactor: redactor, announcer: announcer, logger: logger)
        var ttl = LockHolder.defaultTTL
        if let text = ProcessInfo.processInfo.environment["BALLAST_LEASE_TTL"] {
            guard let parsed = Terminal.duration(text), parsed >= .seconds(1) else {
                Terminal.standardError("ballast: error: BALLAST_LEASE_TTL takes a duration of at least 1s, such as 30s\n")
                throw ExitCode.failure
            }
            ttl = parsed
        }
        return ApplyService(planner: planService(store: store, planKey: try await planKey(store: store, creating: creatingKey)), executor: executor, leaseTTL: ttl, logger: logger)
    }

    /// The event sinks of `options` on `store` (nil without `--events-sink`); a one-off command
    /// drains and shuts them down at its end (``EventSinks/finish()``).
    func eventSinks(_ options: EventOptions, store: any StateStore, factory: any MetricsFactory = NOOPMetricsHandler.instance) throws -> EventSinks? {
        try EventSinks.make(options, store: store, factory: factory, logger: logger)
    }

    /// Closes what an interrupted run left open, if the state is not locked by another run.
    func recoverOpportunistically(_ service: ApplyService, sites: [String: Site]) async {
        if let report = await service.recoverIfUnlocked(sites: sites, command: "ballast plan") { Terminal.reportRecovery(report) }
    }
}

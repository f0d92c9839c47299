import ArgumentParser
import BallastCore
import BallastEngine
import BallastServer
import BallastState
import Foundation
import Prometheus

/// `ballast agent`: runs one pull site on the machine it is on, from the desired state its hub
/// publishes (docs/edge.md).
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Keep one pull site converged from its hub's desired state, online or not, and report back.",
        discussion: """
        For a site declared with spec.mode: pull. The agent long-polls the hub for the site's \
        desired state, checks each new generation (the right site, a higher generation, valid \
        here) and keeps the last good one in its own state, so that it keeps healing drift, \
        restarting what died and recreating what vanished while the hub is away, also after its \
        own restart. It deletes only what a newer valid generation leaves out, within the \
        deletion budget; never because the hub is gone or sent something bad. It reports the \
        site's conditions and outputs every --heartbeat. Its token comes from 'ballast token \
        create --site SITE' on the hub. Its state defaults to .ballast-agent/SITE.
        """
    )

    @OptionGroup var runtime: RuntimeOptions

    @Option(help: "The hub's address: http(s)://HOST:PORT. Plain http only on loopback: the token and the site's secrets travel on it.")
    var hub: String

    @Option(help: "The pull site this agent runs.")
    var site: String

    @Option(help: "A file holding the site's agent token (else $BALLAST_AGENT_TOKEN).")
    var tokenFile: String?

    @Option(help: "PEM certificates the hub's TLS certificate must chain to (else the system's roots).")
    var ca: String?

    @Option(parsing: .unconditional, help: "How often to report to the hub (e.g. 10s); the hub calls the site stale after three missed reports.")
    var heartbeat = "10s"

    @Option(parsing: .unconditional, help: "How long each long-poll waits on the hub for a change (e.g. 60s).")
    var wait = "60s"

    @Option(help: "Address of the agent's own API (health, metrics, the site's resources): HOST:PORT, port 0 picks a free one.")
    var listen = "127.0.0.1:7071"

    @OptionGroup var loop: LoopOptions

    func validate() throws {
        guard NameRules.isValidName(site) else { throw ValidationError("'\(TerminalText.escaping(site))' is not a site name") }
        guard let address = ListenAddress(parsing: listen) else { throw ValidationError("--listen takes HOST:PORT, such as 127.0.0.1:7071") }
        guard address.isLoopback else { throw ValidationError("--listen: the agent's API has no token of its own; it listens on loopback only") }
        try Terminal.requireDuration(heartbeat, option: "--heartbeat", atLeast: .milliseconds(100))
        try Terminal.requireDuration(wait, option: "--wait")
    }

    func run() async throws {
        MallocArenas.limitForDaemon()
        StandardStreams.keepRunningWhenClosed()
        var options = runtime
        if !options.stateIsNamed { options.state = ".ballast-agent/" + site }
        let context = try Runtime(options, quietLevel: .info)
        let token = try agentToken()
        let store = try await context.store()
        var service = try await context.applyService(store: store)
        let cache: AgentCache
        let client: HubClient
        do {
            cache = try AgentCache(directory: context.dataDirectory + "/agent-desired")
            client = try HubClient(hub: hub, site: site, token: token, caFile: ca)
        } catch {
            Terminal.standardError("ballast: error: \(error)\n")
            throw ExitCode.failure
        }
        defer { Task { await client.shutdown() } }
        // The site's secrets are the ones its hub sent, never this machine's environment.
        service.planner.secrets = BundleSecrets(cache: cache)
        let source = HubManifestSource(cache: cache, hub: client.base)
        let agent = EdgeAgent(
            site: site, client: client, cache: cache, source: source, planner: service.planner, store: store, heartbeat: Terminal.duration(heartbeat)!,
            wait: Terminal.duration(wait)!, logger: context.logger)
        try await LockGuard.holding(service, command: "ballast agent", wait: .zero) { lease in
            if cache.entry == nil {
                Terminal.standardOutput("ballast agent: no desired state for \(site) yet; fetching it from \(client.base)\n")
                await agent.fetchFirst()
            } else {
                Terminal.standardOutput("ballast agent: starting from generation \(cache.entry!.generation) held here; the hub is asked for newer ones\n")
            }
            try await serve(agent: agent, source: source, service: service, store: store, context: context, lease: lease)
        }
        Terminal.standardOutput("ballast agent: stopped\n")
    }

    private func serve(agent: EdgeAgent, source: HubManifestSource, service: ApplyService, store: any StateStore, context: Runtime, lease: HeldLease) async throws {
        var configuration = WatchConfiguration()
        loop.configure(&configuration)
        configuration.releaseMemory = MallocArenas.releaseFreePages
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        let controller = WatchController(paths: [], applier: service, configuration: configuration, metrics: WatchMetrics(factory: factory), source: source, logger: context.logger)
        await agent.attach(controller)
        let address = ListenAddress(parsing: listen)!
        // Loopback only; reads need no token, changes take a random one nobody is given.
        let access = APIAccess(adminToken: APIToken.generateSecret(), readsNeedToken: false)
        let daemon = WatchDaemon(controller: controller, store: store, metrics: registry, listen: address, access: access, lease: lease, logger: context.logger)
        let loops = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await agent.fetchForever() }
                group.addTask { await agent.reportForever() }
            }
        }
        defer { loops.cancel() }
        let site = self.site
        do {
            try await daemon.run(
                onListening: { bound in Terminal.standardOutput("ballast agent: site \(site), listening on \(bound)\n") },
                onStartup: { report in
                    Terminal.report(report.diagnostics, files: report.loaded.files)
                    guard let plan = report.plan else {
                        Terminal.standardError("ballast: error: the desired state held here does not validate on this machine\n")
                        return false
                    }
                    Terminal.standardOutput("ballast agent: started: \(plan.summaryLine)\n")
                    return true
                })
        } catch {
            if !(error is WatchDaemon.StartupFailed) { Terminal.standardError("ballast: error: \(error)\n") }
            throw ExitCode.failure
        }
    }

    /// The agent token from --token-file, else $BALLAST_AGENT_TOKEN.
    private func agentToken() throws -> String {
        if let token = try TokenInput.read(file: tokenFile, variable: "BALLAST_AGENT_TOKEN", option: "--token-file") { return token }
        Terminal.standardError("ballast: error: the agent needs its site's token: --token-file FILE or $BALLAST_AGENT_TOKEN (make one on the hub with 'ballast token create --site \(site)')\n")
        throw ExitCode.failure
    }
}

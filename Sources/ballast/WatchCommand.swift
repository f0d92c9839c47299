import ArgumentParser
import BallastCore
import BallastEngine
import BallastGit
import BallastServer
import BallastState
import Foundation
import Logging
import Metrics
import Prometheus

struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Run the self-healing control plane: apply, then keep the sites converged, with an HTTP API.",
        discussion: """
        Starts like 'apply --auto-approve', then reconciles whatever changes: manifest edits (checked \
        every second; an edit that does not validate is reported and the last good manifests stay \
        in force), changes the providers push, a periodic resync, and POST /v1/reconcile or a \
        CloudEvent. Drift is reverted and vanished resources recreated, except with \
        policy.selfHeal: false or management: observe (reported only). Serves /healthz, /readyz, \
        /metrics and /v1/… on --listen. POST routes need 'Authorization: Bearer TOKEN'; without \
        --token-file or BALLAST_TOKEN a token is generated into STATE/watch.token. SIGTERM or \
        SIGINT stops it cleanly. With --git it follows a branch or tag of a repository instead \
        of PATHS: fetched every --interval and on a push webhook (POST /v1/hooks/git, with \
        --git-webhook-secret-file); a commit whose manifests do not validate is held and the \
        last good one stays in force. POST /v1/suspend and /v1/resume (or 'ballast suspend' \
        and 'ballast resume') stop and restart syncing; healing goes on. Pull sites (spec.mode: pull) \
        are left to their agents ('ballast agent'), which fetch their desired state from \
        /v1/agents/SITE/… and report back. One daemon per SQLite state. On a PostgreSQL state (--state \
        postgres://…) any number of daemons form one control plane: each is a replica that owns \
        a share of the sites through per-site leases, and takes over the sites of a replica that \
        stops or dies.
        """
    )

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var events: EventOptions

    @Option(help: "Address to serve the HTTP API on: HOST:PORT (port 0 picks a free one).")
    var listen = "127.0.0.1:7070"

    @OptionGroup var loop: LoopOptions

    @Option(parsing: .unconditional, help: "At most this many reconciles per second (bursts up to 5 times as many).")
    var rateLimit = 100.0

    @Option(help: "A file holding the admin bearer token POST requests must present (else $BALLAST_TOKEN).")
    var tokenFile: String?

    @Option(help: "A file holding a read-only bearer token (else $BALLAST_READ_TOKEN); on a non-loopback address every GET but /healthz and /readyz needs it or the admin token.")
    var readTokenFile: String?

    @Option(parsing: .unconditional, help: "How long to wait for the state lock held by another run (e.g. 30s).")
    var lockTimeout = "0s"

    @Option(help: "Approve, by its digest, a set of deletions held over the deletion budget (as /v1/manifests reports it).")
    var approveDeletions: String?

    @Option(parsing: .unconditional, help: "With --git: how often to fetch (e.g. 30s, 1m, 5m; ±10% jitter).")
    var interval = "1m"

    @Option(help: ArgumentHelp(
        "With --git: serve POST /v1/hooks/git for push webhooks signed with the secret in this file (GitHub and Gitea HMAC-SHA256, GitLab token).",
        valueName: "file"))
    var gitWebhookSecretFile: String?

    @Option(help: "With a PostgreSQL state: this replica's id, unique among the replicas (default HOSTNAME:PID).")
    var replicaID: String?

    @Option(parsing: .unconditional, help: "With a PostgreSQL state: how long a replica's heartbeat and site leases last unless renewed (e.g. 15s).")
    var replicaTtl = "15s"

    @Option(parsing: .unconditional, help: "With a PostgreSQL state: how often a replica renews its leases and looks for sites to take (e.g. 5s); at most a third of --replica-ttl.")
    var replicaInterval = "5s"

    @Option(help: ArgumentHelp("Serve HTTPS with this PEM certificate chain (with --tls-key).", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The PEM private key of --tls-cert.", valueName: "file"))
    var tlsKey: String?

    @Option(parsing: .unconditional, help: "How often pull sites' agents report (their --heartbeat); a site with no report for three of these is stale.")
    var agentHeartbeat = "10s"

    func validate() throws {
        try Terminal.requireDuration(agentHeartbeat, option: "--agent-heartbeat", atLeast: .milliseconds(100))
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        guard ListenAddress(parsing: listen) != nil else { throw ValidationError("--listen takes HOST:PORT, such as 127.0.0.1:7070 or [::1]:7070") }
        guard rateLimit.isFinite, rateLimit > 0, rateLimit <= 1_000_000 else { throw ValidationError("--rate-limit takes a number of reconciles per second above 0 and up to 1000000 (got \(rateLimit))") }
        try Terminal.requireDuration(lockTimeout, option: "--lock-timeout")
        try Terminal.requireDuration(replicaTtl, option: "--replica-ttl", atLeast: .seconds(1))
        try Terminal.requireDuration(replicaInterval, option: "--replica-interval", atLeast: .milliseconds(100))
        guard Terminal.duration(replicaInterval)! * 3 <= Terminal.duration(replicaTtl)! else {
            throw ValidationError("--replica-interval (\(replicaInterval)) must be at most a third of --replica-ttl (\(replicaTtl)), so that a lease survives two missed renewals")
        }
        if let replicaID, replicaID.isEmpty || replicaID.count > 200 || replicaID.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw ValidationError("--replica-id takes 1 to 200 printable characters")
        }
        guard !manifests.paths.contains("-") else { throw ValidationError("watch re-reads its manifests when they change, so it needs files or directories, not '-'") }
        // A pipe reads empty the second time: its resources would then read as removed.
        if let stream = manifests.paths.first(where: FileContents.isStream) {
            throw ValidationError("watch re-reads its manifests when they change, so it needs files or directories; '\(TerminalText.safe(stream))' is a pipe or a device, which can be read only once: write its manifests to a file")
        }
        try Terminal.requireDuration(interval, option: "--interval", atLeast: .seconds(1))
        if gitWebhookSecretFile != nil && manifests.gitURL == nil { throw ValidationError("--git-webhook-secret-file goes with --git") }
    }

    func run() async throws {
        MallocArenas.limitForDaemon()
        // Stopping halfway because nobody reads the output would leave the world half-changed.
        StandardStreams.keepRunningWhenClosed()
        let address = ListenAddress(parsing: listen)!
        let context = try Runtime(runtime, quietLevel: .info)
        if try !address.isLoopback && configuredToken() == nil {
            Terminal.standardError("ballast: error: refusing to listen on \(address), which is not a loopback address, without a token; pass --token-file or set BALLAST_TOKEN\n")
            throw ExitCode.failure
        }
        let store = try await context.store()
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30)]
        let sinks = try context.eventSinks(events, store: store, factory: factory)
        let service = try await context.applyService(store: store, announcer: sinks?.announcer)
        let metrics = Metrics(registry: registry, factory: factory, sinks: sinks)
        if let shared = store as? any ReplicaStore {
            // Replicas share the state; each acts on the sites whose leases it holds.
            let replicas = try await join(shared, service: service, context: context, address: address)
            try await serve(context: context, service: service, store: store, address: address, lease: nil, replicas: replicas, metrics: metrics)
        } else {
            if replicaID != nil {
                Terminal.standardError("ballast: warning: --replica-id, --replica-ttl and --replica-interval apply to a PostgreSQL state; this daemon is the only one of its state\n")
            }
            // The state's single-writer lock, held for the daemon's life: one daemon per state.
            try await LockGuard.holding(service, command: "ballast watch", wait: Terminal.duration(lockTimeout)!) { lease in
                try await serve(context: context, service: service, store: store, address: address, lease: lease, replicas: nil, metrics: metrics)
            }
        }
        await sinks?.shutdown()
        Terminal.standardOutput("ballast watch: stopped\n")
    }

    /// Joins the replicas of a shared state: refused while a one-off run (`ballast apply`)
    /// holds it, as a second daemon on a SQLite state is.
    private func join(_ store: any ReplicaStore, service: ApplyService, context: Runtime, address: ListenAddress) async throws -> ReplicaMembership {
        let host = ProcessInfo.processInfo.hostName
        let pid = ProcessInfo.processInfo.processIdentifier
        let beat = ReplicaHeartbeat(id: replicaID ?? "\(host):\(pid)", host: host, pid: pid, listen: address.description, manifestDigest: "", startedAt: Date())
        let membership = ReplicaMembership(
            store: store, beat: beat, ttl: Terminal.duration(replicaTtl)!, interval: Terminal.duration(replicaInterval)!,
            deadline: service.executor.leaseDeadline, logger: context.logger)
        let deadline = ContinuousClock.now + Terminal.duration(lockTimeout)!
        // A replica restarted under its old id waits for the old heartbeat to lapse.
        let sameIDDeadline = ContinuousClock.now + membership.ttl + membership.interval
        while true {
            do {
                try await membership.join()
                return membership
            } catch StoreError.replicaIDInUse where ContinuousClock.now < sameIDDeadline {
                try await Task.sleep(for: .milliseconds(500))
            } catch StoreError.locked(let path, let holder) where ContinuousClock.now < deadline {
                _ = (path, holder)
                try await Task.sleep(for: .milliseconds(500))
            } catch StoreError.locked(let path, let holder) {
                Terminal.standardError("ballast: error: the state \(path) is held by \(holder.command) (pid \(holder.pid)\(holder.host == host ? "" : " on \(holder.host)")), lock id \(holder.owner); replicas start once it is done (or pass --lock-timeout 60s)\n")
                throw ExitCode.failure
            } catch {
                Terminal.standardError("ballast: error: \(error)\n")
                throw ExitCode.failure
            }
        }
    }

    /// What the daemon exports, made before the services that report to it.
    struct Metrics {
        var registry: PrometheusCollectorRegistry
        var factory: PrometheusMetricsFactory
        var sinks: EventSinks?
    }

    private func serve(context: Runtime, service: ApplyService, store: any StateStore, address: ListenAddress, lease: HeldLease?, replicas: ReplicaMembership?, metrics exported: Metrics) async throws {
        let token = try configuredToken() ?? generateToken(dataDirectory: context.dataDirectory)
        var configuration = WatchConfiguration()
        loop.configure(&configuration)
        configuration.rateLimit = rateLimit
        configuration.releaseMemory = MallocArenas.releaseFreePages
        configuration.rateBurst = max(1, Int(rateLimit * 5))
        configuration.approvedDeletions = approveDeletions
        configuration.agents.heartbeat = Terminal.duration(agentHeartbeat)!
        let registry = exported.registry
        let metrics = WatchMetrics(factory: exported.factory)
        await replicas?.export(to: metrics)
        let (source, webhook, readPolicy) = try manifestSource(context)
        var service = service
        service.planner.readPolicy = readPolicy
        let controller = WatchController(
            paths: manifests.paths, applier: service, configuration: configuration, metrics: metrics, source: source, replicas: replicas, logger: context.logger)
        let readToken = try TokenInput.read(file: readTokenFile, variable: "BALLAST_READ_TOKEN", option: "--read-token-file")
        // Console sessions are signed with a key derived from the state's: every replica honours them.
        let access = APIAccess(
            adminToken: token, readToken: readToken, readsNeedToken: !address.isLoopback, stateKey: try await store.planKey(create: true),
            storedToken: { try await store.token(digest: $0) })
        var daemon = WatchDaemon(
            controller: controller, store: store, metrics: registry, listen: address, access: access, lease: lease, gitWebhook: webhook, logger: context.logger)
        if let tlsCert, let tlsKey {
            do {
                daemon.tls = try TLSFiles.serverConfiguration(certificate: tlsCert, key: tlsKey)
            } catch {
                Terminal.standardError("ballast: error: \(error)\n")
                throw ExitCode.failure
            }
        } else if !address.isLoopback {
            Terminal.standardError("ballast: warning: serving plain HTTP on \(address), which is not a loopback address: tokens, and pull sites' secrets, travel in clear; pass --tls-cert and --tls-key\n")
        }
        let files = context
        // Events go out while the daemon runs; among replicas, the leader delivers them.
        let delivering = exported.sinks.map { sinks in
            var delivery = sinks.delivery
            if let replicas { delivery.isDeliverer = { await replicas.isLeader } }
            return Task { await delivery.run() }
        }
        defer { delivering?.cancel() }
        do {
            try await daemon.run(
                onListening: { url in
                    let bound = url.hasPrefix("https://") ? String(url.dropFirst(8)) : url.hasPrefix("http://") ? String(url.dropFirst(7)) : url
                    if let replicas {
                        // Other replicas point users here: a wildcard address names no machine.
                        var advertised = ListenAddress(parsing: bound) ?? address
                        if ["0.0.0.0", "::"].contains(advertised.host) { advertised.host = ProcessInfo.processInfo.hostName }
                        Task { await replicas.setListen(advertised.description) }
                    }
                    Terminal.standardOutput("ballast watch: listening on \(url)\n")
                },
                onStartup: { report in Self.reportStartup(report, runtime: files, replica: replicas?.id) })
        } catch {
            if !(error is WatchDaemon.StartupFailed) { Terminal.standardError("ballast: error: \(error)\n") }
            throw ExitCode.failure
        }
    }

    /// With --git: the repository as a manifest source, the webhook's check when a secret is
    /// given, and what its manifests may read; nil (and no restriction) for files and directories.
    private func manifestSource(_ context: Runtime) throws -> (source: (any ManifestSource)?, webhook: GitWebhook?, readPolicy: ManifestReadPolicy) {
        do {
            guard let remote = try manifests.remote() else { return (nil, nil, .unrestricted) }
            let mirror = try GitMirror(remote: remote, dataDirectory: context.dataDirectory, timeout: Terminal.duration(manifests.gitTimeout)!)
            let source = try GitManifestSource(
                mirror: mirror, paths: manifests.gitPaths, interval: Terminal.duration(interval)!, allowedSigners: manifests.allowedSigners, logger: context.logger)
            guard let gitWebhookSecretFile else { return (source, nil, manifests.readPolicy(mirror)) }
            guard let text = try? String(contentsOfFile: gitWebhookSecretFile, encoding: .utf8), let webhook = GitWebhook(secret: text) else {
                Terminal.standardError("ballast: error: --git-webhook-secret-file \(gitWebhookSecretFile) cannot be read or is empty\n")
                throw ExitCode.failure
            }
            return (source, webhook, manifests.readPolicy(mirror))
        } catch let error as GitError {
            Terminal.standardError("ballast: error: \(error.message)\n")
            throw ExitCode.failure
        }
    }

    /// Prints the start-up outcome; false when the daemon must not go on.
    private static func reportStartup(_ report: WatchController.StartupReport, runtime: Runtime, replica: String?) -> Bool {
        if let recovery = report.recovery { Terminal.reportRecovery(recovery) }
        if let revision = report.revision {
            let subject = revision.subject.map { " \"\($0)\"" } ?? ""
            Terminal.standardOutput("ballast watch: commit \(revision.short)\(TerminalText.safe(subject)) in force\n")
        }
        Terminal.report(report.diagnostics, files: report.loaded.files)
        guard let plan = report.plan else {
            Terminal.standardError("ballast: error: watch did not start: fix the errors above\n")
            return false
        }
        let deferred = report.deferredPrunes == 0 ? "" : " \(report.deferredPrunes) no longer declared: removed only after the prune delay, within the deletion budget."
        if let replica {
            Terminal.standardOutput("ballast watch: started as replica \(TerminalText.safe(replica)). \(plan.summaryLine) Each site's owner carries out its part.\(deferred)\n")
            return true
        }
        Terminal.standardOutput("ballast watch: started: \(plan.summaryLine)\(deferred)\n")
        if let applied = report.report, !applied.results.isEmpty { Terminal.standardOutput("ballast watch: \(applied.summaryLine)\n") }
        return true
    }

    /// The admin token from --token-file, else $BALLAST_TOKEN; nil when neither is given.
    private func configuredToken() throws -> String? {
        try TokenInput.read(file: tokenFile, variable: "BALLAST_TOKEN", option: "--token-file")
    }

    /// A random token written to DATA/watch.token (mode 0600), for a loopback daemon started
    /// without one.
    private func generateToken(dataDirectory: String) throws -> String {
        let path = dataDirectory + "/watch.token"
        let token = APIToken.generateSecret()
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            try Data((token + "\n").utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            Terminal.standardError("ballast: error: cannot write the generated token to \(path): \(error)\n")
            throw ExitCode.failure
        }
        Terminal.standardError("ballast: note: POST requests need 'Authorization: Bearer' with the token generated into \(path)\n")
        return token
    }
}

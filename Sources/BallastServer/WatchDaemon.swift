import BallastEngine
import BallastState
import Hummingbird
import HummingbirdTLS
import Logging
import NIOSSL
import Prometheus
import ServiceLifecycle

/// `ballast watch` as services: the controller and the HTTP API, run together under
/// swift-service-lifecycle. SIGTERM or SIGINT shuts both down gracefully: the API stops, the
/// controller stops taking work and finishes the reconciles in flight (each journaled), and
/// ``run(onListening:onStartup:)`` returns.
public struct WatchDaemon: Sendable {
    public var controller: WatchController
    public var store: any StateStore
    public var metrics: PrometheusCollectorRegistry
    public var listen: ListenAddress
    public var access: APIAccess
    public var logger: Logger
    /// The state lease the daemon holds for its life: losing it stops the daemon.
    public var lease: HeldLease?
    /// The git push webhook's secret check, when the daemon follows a repository with one.
    public var gitWebhook: GitWebhook?
    /// Serve HTTPS with this certificate and key (``TLSFiles``); nil serves plain HTTP.
    public var tls: TLSConfiguration?

    public init(
        controller: WatchController, store: any StateStore, metrics: PrometheusCollectorRegistry, listen: ListenAddress, access: APIAccess, lease: HeldLease? = nil,
        gitWebhook: GitWebhook? = nil, logger: Logger
    ) {
        self.lease = lease
        self.gitWebhook = gitWebhook
        self.controller = controller
        self.store = store
        self.metrics = metrics
        self.listen = listen
        self.access = access
        self.logger = logger
    }

    /// Thrown when start-up did not succeed (the manifests or the plan have errors).
    public struct StartupFailed: Error, Sendable {}

    /// Runs until a shutdown signal. `onListening` gets the bound URL (`http(s)://HOST:PORT`);
    /// `onStartup` gets the start-up report and says whether to go on.
    public func run(
        onListening: @escaping @Sendable (String) -> Void,
        onStartup: @escaping @Sendable (WatchController.StartupReport) -> Bool
    ) async throws {
        // A replica asks the others about the sites they own.
        let peers = controller.replicas == nil ? nil : HTTPReplicaPeers()
        defer { if let peers { Task { await peers.shutdown() } } }
        let router = APIRouter(controller: controller, store: store, metrics: metrics, access: access, peers: peers, gitWebhook: gitWebhook).router()
        // The controller starts once the server is bound: a port in use stops the daemon before
        // it touches anything.
        let (listening, signalListening) = AsyncStream<Void>.makeStream()
        let application = Application(
            router: router,
            server: try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
            configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "ballast"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? listen.port
                onListening((tls == nil ? "http://" : "https://") + ListenAddress(host: listen.host, port: port).description)
                signalListening.yield()
                signalListening.finish()
            },
            logger: logger)
        let service = ControllerService(controller: controller, listening: listening, onStartup: onStartup)
        // Shut down in reverse order: the controller first, so that a replica gives its sites to
        // the others at once, not after the API has waited for its clients to go away.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: application),
            .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup),
        ]
        if let lease { services.append(.init(service: LeaseWatch(lease: lease), failureTerminationBehavior: .gracefullyShutdownGroup)) }
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
        } catch let error where "\(error)".contains("Address already in use") {
            throw CannotListen(address: listen, reason: "the address is already in use")
        }
    }

    public struct CannotListen: Error, Sendable, CustomStringConvertible {
        public var address: ListenAddress
        public var reason: String
        public var description: String { "cannot listen on \(address): \(reason); pick another with --listen" }
    }
}

/// The controller as a service: start-up, then the watch loop until graceful shutdown.
struct ControllerService: Service {
    let controller: WatchController
    let listening: AsyncStream<Void>
    let onStartup: @Sendable (WatchController.StartupReport) -> Bool

    func run() async throws {
        var bound = false
        for await _ in listening.cancelOnGracefulShutdown() {
            bound = true
            break
        }
        guard bound, !Task.isCancelled else { return }
        let report = try await controller.start()
        guard onStartup(report), report.plan != nil else { throw WatchDaemon.StartupFailed() }
        await withGracefulShutdownHandler {
            await controller.run()
        } onGracefulShutdown: {
            Task { await controller.stop() }
        }
    }
}

/// Stops the daemon when its state lease is lost (it lapsed while the process was paused and
/// another run took it, or it was force-unlocked): a daemon without the lease must not act.
struct LeaseWatch: Service {
    let lease: HeldLease

    func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            if let lost = lease.lost { throw lost }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }
}

private extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool { Task.isCancelled || Task.isShuttingDownGracefully }
}

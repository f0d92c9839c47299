import ArgumentParser
import AsyncHTTPClient
import BallastCore
import BallastEngine
import BallastServer
import BallastState
import CoreMetrics
import Foundation
import Logging
import Synchronization

/// `--events-sink`: where the commands that change things send CloudEvents.
struct EventOptions: ParsableArguments {
    @Option(name: .customLong("events-sink"), help: ArgumentHelp(
        "Post a CloudEvent for every outcome, drift, site and source change to this http(s) URL (repeatable). Delivered at least once, through an outbox in the state.",
        valueName: "url"))
    var sinks: [String] = []

    @Option(name: .customLong("events-outbox-limit"), parsing: .unconditional, help: "With --events-sink: keep at most this many undelivered events; past it the oldest are dropped (and counted).")
    var outboxLimit = EventDelivery.defaultOutboxLimit

    func validate() throws {
        try Terminal.requireCount(outboxLimit, option: "--events-outbox-limit", in: 1...10_000_000)
        _ = try endpoints()
    }

    func endpoints() throws -> [HTTPEventSink.Endpoint] {
        var seen = Set<String>()
        return try sinks.compactMap { text -> HTTPEventSink.Endpoint? in
            do {
                let endpoint = try HTTPEventSink.Endpoint(text)
                return seen.insert(endpoint.key).inserted ? endpoint : nil
            } catch {
                throw ValidationError("\(error)")
            }
        }
    }
}

/// The event sinks of one run, with the HTTP client they share and the delivery that feeds
/// them; nil from ``make(_:store:factory:logger:)`` when no sink is configured.
final class EventSinks: Sendable {
    let delivery: EventDelivery
    let announcer: EventAnnouncer
    private let client: HTTPClient
    private let shutDown = Mutex(false)

    private init(delivery: EventDelivery, announcer: EventAnnouncer, client: HTTPClient) {
        self.delivery = delivery
        self.announcer = announcer
        self.client = client
    }

    static func make(_ options: EventOptions, store: any StateStore, factory: any MetricsFactory, logger: Logger) throws -> EventSinks? {
        let endpoints = try options.endpoints()
        guard !endpoints.isEmpty else { return nil }
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(5)
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let delivery = EventDelivery(
            outbox: store, sinks: endpoints.map { HTTPEventSink($0, client: client) }, outboxLimit: options.outboxLimit,
            metrics: EventMetrics(factory: factory), logger: logger)
        let announcer = EventAnnouncer(source: "urn:ballast:" + ProcessInfo.processInfo.hostName, written: { delivery.wakeUp() })
        return EventSinks(delivery: delivery, announcer: announcer, client: client)
    }

    /// Runs a one-off command's work, then (whether it succeeded or not) delivers what it
    /// announced and shuts the client down.
    static func delivering<T>(_ sinks: EventSinks?, _ body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            await sinks?.finish()
            return result
        } catch {
            await sinks?.finish()
            throw error
        }
    }

    func finish() async {
        await drain()
        await shutdown()
    }

    /// For one-off commands, at their end: delivers what waits, for up to `timeout`, and says
    /// what is left for a later run.
    func drain(within timeout: Duration = .seconds(10)) async {
        let waiting = await delivery.drain(within: timeout)
        for name in waiting {
            Terminal.standardError("ballast: warning: events for \(TerminalText.safe(name)) are not all delivered; they wait in the state's outbox for the next run with this --events-sink\n")
        }
    }

    func shutdown() async {
        guard shutDown.withLock({ done in defer { done = true }; return !done }) else { return }
        try? await client.shutdown()
    }

    /// A run that ended early (an error before the work began) still closes the client.
    deinit {
        if !shutDown.withLock({ $0 }) { client.shutdown(queue: .global()) { _ in } }
    }
}

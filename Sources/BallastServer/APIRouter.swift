import BallastCore
import BallastEngine
import BallastState
import Foundation
import Hummingbird
import Prometheus

/// The daemon's HTTP API: health, readiness, Prometheus metrics, resource, site, event and
/// manifest listings (JSON, sorted), and the mutating routes (reconcile requests and the
/// CloudEvents webhook), which need the bearer token.
public struct APIRouter: Sendable {
    public var controller: WatchController
    public var store: any StateStore
    public var metrics: PrometheusCollectorRegistry
    public var access: APIAccess
    /// The other replicas' APIs, for answers about the sites they own; nil for one daemon.
    public var peers: (any ReplicaPeers)?
    /// The git push webhook's secret check; nil when the daemon has no webhook.
    public var gitWebhook: GitWebhook?

    /// Bodies larger than this are refused (413).
    static let maxBody = 1 << 20
    /// The console's live streams open at once, across clients; more are answered 503.
    let streams = StreamSlots(limit: 64)

    public init(
        controller: WatchController, store: any StateStore, metrics: PrometheusCollectorRegistry, access: APIAccess, peers: (any ReplicaPeers)? = nil,
        gitWebhook: GitWebhook? = nil
    ) {
        self.peers = peers
        self.gitWebhook = gitWebhook
        self.controller = controller
        self.store = store
        self.metrics = metrics
        self.access = access
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: APIErrorMiddleware())
        router.add(middleware: AccessMiddleware(access: access))
        router.get("/healthz") { _, _ in Self.text("ok\n") }
        router.get("/readyz") { _, _ in await readiness() }
        router.get("/metrics") { _, _ in await prometheus() }
        router.get("/v1/resources") { request, _ in try await resources(request) }
        router.get("/v1/resources/**") { request, _ in await resource(request) }
        router.get("/v1/sites") { request, _ in await sites(request) }
        router.get("/v1/events") { request, _ in try await events(request) }
        router.get("/v1/replicas") { _, _ in await replicas() }
        router.get("/v1/manifests") { _, _ in await manifests() }
        router.post("/v1/reconcile") { request, _ in try await reconcile(request) }
        router.post("/v1/events/cloudevents") { request, _ in try await cloudEvent(request) }
        router.post("/v1/hooks/git") { request, _ in try await gitHook(request) }
        router.post("/v1/suspend") { _, _ in await suspension(suspend: true) }
        router.post("/v1/resume") { _, _ in await suspension(suspend: false) }
        addConsole(to: router)
        addAgentRoutes(to: router)
        return router
    }

    private func readiness() async -> Response {
        guard await controller.isStarted else { return Self.text("starting: the initial reconcile is not done\n", status: .serviceUnavailable) }
        guard await controller.storeReachable() else { return Self.text("the state store cannot be reached\n", status: .serviceUnavailable) }
        return Self.text("ready\n")
    }

    private func manifests() async -> Response {
        Self.json(StatusJSON.manifests(
            await controller.manifests(), held: await controller.heldDeletions(), source: controller.source.status(), suspension: await controller.suspensionRecord))
    }

    /// A git host says the repository changed: fetch now (never trusting the body).
    private func gitHook(_ request: Request) async throws -> Response {
        guard let gitWebhook else {
            return Self.error("this daemon has no git webhook: start it with --git and --git-webhook-secret-file", status: .notFound)
        }
        let body = try await Self.body(request)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
        switch gitWebhook.verify(headers: headers, body: body) {
        case .rejected(let reason):
            return Self.error(reason, status: .unauthorized)
        case .ping:
            return Self.json(.map(Fields(["fetching": .bool(false)])))
        case .push:
            await controller.sourceChanged()
            return Self.json(.map(Fields(["fetching": .bool(true)])), status: .accepted)
        }
    }

    /// Suspends or resumes syncing for every daemon of the state; 503 when the state could not
    /// record it (nothing changed then).
    private func suspension(suspend: Bool) async -> Response {
        do {
            let changed = suspend ? try await controller.suspend() : try await controller.resume()
            return Self.json(.map(Fields(["suspended": .bool(suspend), "changed": .bool(changed)])))
        } catch {
            return Self.error("the state could not record it: \(error); retry", status: .serviceUnavailable)
        }
    }

    private func replicas() async -> Response {
        guard let status = await controller.replicaStatus() else {
            return Self.error("this daemon is not one of several replicas: its state is not in PostgreSQL", status: .notFound)
        }
        return Self.json(ReplicasJSON.document(status))
    }

    private func prometheus() async -> Response {
        _ = await controller.queueDepth()
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
    }

    private func resources(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        var condition: ResourceCondition.Kind?
        if let text = query.get("condition") {
            guard let kind = ResourceCondition.Kind.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
                return Self.error("unknown condition '\(text)'; use one of \(ResourceCondition.Kind.allCases.map(\.rawValue).joined(separator: ", "))", status: .badRequest)
            }
            condition = kind
        }
        var statuses = await controller.resources(site: query.get("site"), kind: query.get("kind"), condition: condition)
        let local = query.get("local") != nil
        guard let answered = await controller.sitesAnswered(strictly: local) else { return Self.json(StatusJSON.resources(statuses)) }
        statuses.removeAll { !answered.contains($0.id.site) }
        let mine = statuses.map(StatusJSON.resource)
        if local { return Self.json(.map(Fields(["formatVersion": .int(1), "resources": .list(mine)]))) }
        return await merged(request, path: "/v1/resources", key: "resources", sortKey: "id", mine: mine)
    }

    private func sites(_ request: Request) async -> Response {
        var statuses = await controller.siteStatuses()
        let local = request.uri.queryParameters.get("local") != nil
        let revision = await controller.manifests()?.revision?.commit
        guard let answered = await controller.sitesAnswered(strictly: local) else { return Self.json(StatusJSON.sites(statuses, revision: revision)) }
        statuses.removeAll { !answered.contains($0.name) }
        guard case .map(let document) = StatusJSON.sites(statuses, revision: revision), case .list(let mine)? = document["sites"] else {
            return Self.json(StatusJSON.sites(statuses, revision: revision))
        }
        if local { return Self.json(.map(document)) }
        return await merged(request, path: "/v1/sites", key: "sites", sortKey: "name", mine: mine)
    }

    /// What this replica answers for, with what every other live replica answers for (asked with
    /// `local`, and the caller's token), sorted; replicas that did not answer are listed in
    /// `unansweredReplicas`, and what they own is missing.
    private func merged(_ request: Request, path: String, key: String, sortKey: String, mine: [Value]) async -> Response {
        guard let status = await controller.replicaStatus(), let peers else { return Self.json(.map(Fields(["formatVersion": .int(1), key: .list(mine)]))) }
        let query = request.uri.query.map { $0 + "&local=1" } ?? "local=1"
        let credentials = Self.credentials(request)
        let others = status.view.alive.filter { $0.beat.id != status.me }
        var items = mine
        var unanswered: [String] = []
        await withTaskGroup(of: (String, [Value]?).self) { group in
            for peer in others {
                group.addTask {
                    guard let (code, body) = await peers.get("http://\(peer.beat.listen)\(path)?\(query)", credentials: credentials), code == 200,
                          case .map(let fields) = try? JSONValueParser.parse(body), case .list(let list)? = fields[key] else { return (peer.beat.id, nil) }
                    return (peer.beat.id, list)
                }
            }
            for await (id, list) in group {
                if let list { items.append(contentsOf: list) } else { unanswered.append(id) }
            }
        }
        items.sort { (Self.field($0, sortKey) ?? "") < (Self.field($1, sortKey) ?? "") }
        return Self.json(.map(Fields([
            "formatVersion": .int(1), key: .list(items), "unansweredReplicas": .list(unanswered.sorted().map(Value.string)),
        ])))
    }

    /// What a request to another replica carries on from `request`.
    static func credentials(_ request: Request) -> PeerCredentials {
        let session = request.headers[.cookie].flatMap(ConsoleSession.value(inCookieHeader:)).map { "\(ConsoleSession.cookieName)=\($0)" }
        return PeerCredentials(authorization: request.headers[.authorization], sessionCookie: session)
    }

    private static func field(_ value: Value, _ key: String) -> String? {
        if case .map(let fields) = value { return fields[key]?.stringValue }
        return nil
    }

    private func resource(_ request: Request) async -> Response {
        let prefix = "/v1/resources/"
        let raw = String(request.uri.path.dropFirst(prefix.count))
        let text = raw.removingPercentEncoding ?? raw
        guard let id = ResourceID(parsing: text) else {
            return Self.error("'\(text)' is not a resource id (Kind/name@site)", status: .badRequest)
        }
        // A replica asks the owner of the resource's site.
        // (Asked by another replica, with `local`, it answers from what it has: no request bounces.)
        if request.uri.queryParameters.get("local") == nil,
           let answered = await controller.sitesAnswered(strictly: false), !answered.contains(id.site), let peers,
           let status = await controller.replicaStatus(), let owner = status.view.holder(of: id.site),
           let peer = status.view.alive.first(where: { $0.beat.id == owner.owner }) {
            guard let (code, body) = await peers.get("http://\(peer.beat.listen)\(request.uri.path)?local=1", credentials: Self.credentials(request)) else {
                return Self.error("\(id) is on site \(id.site), owned by replica \(owner.owner), which did not answer; retry", status: .serviceUnavailable)
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .init(code: code), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        guard let status = await controller.resource(id) else {
            return Self.error("\(id) is not under watch", status: .notFound)
        }
        return Self.json(StatusJSON.resource(status))
    }

    private func events(_ request: Request) async throws -> Response {
        var date: Date?
        var afterSequence: Int64?
        if let since = request.uri.queryParameters.get("since") {
            if let sequence = Int64(since) {
                afterSequence = sequence
            } else if let parsed = Timestamp.parse(since) {
                date = parsed
            } else {
                return Self.error("since takes an RFC 3339 time (2026-11-25T10:00:00Z) or a sequence number", status: .badRequest)
            }
        }
        let events = try await store.events(since: date).filter { afterSequence == nil || $0.sequence > afterSequence! }
        return Self.json(.map(Fields(["formatVersion": .int(1), "events": .list(events.map(JournalEventJSON.encode))])))
    }

    private func reconcile(_ request: Request) async throws -> Response {
        let body = try await Self.body(request)
        var scope = WatchController.Scope.all
        if !body.isEmpty {
            guard case .map(let fields)? = try? JSONValueParser.parse(body) else {
                return Self.error("the body must be a JSON object: {}, {\"site\": NAME} or {\"id\": \"Kind/name@site\"}", status: .badRequest)
            }
            if let digest = fields["approveDeletions"] {
                guard fields.count == 1, let digest = digest.stringValue else {
                    return Self.error("the body must be {\"approveDeletions\": DIGEST} alone", status: .badRequest)
                }
                do {
                    let count = try await controller.approveDeletions(digest)
                    return Self.json(.map(Fields(["approved": .int(count), "digest": .string(digest)])), status: .accepted)
                } catch {
                    return Self.error(error.description, status: .conflict)
                }
            }
            let unknown = fields.keys.filter { $0 != "id" && $0 != "site" }
            if !unknown.isEmpty || (fields["id"] != nil && fields["id"]?.stringValue == nil) || (fields["site"] != nil && fields["site"]?.stringValue == nil) {
                return Self.error("the body must be {}, {\"site\": NAME} or {\"id\": \"Kind/name@site\"}", status: .badRequest)
            }
            if let text = fields["id"]?.stringValue {
                guard let id = ResourceID(parsing: text) else {
                    return Self.error("'\(text)' is not a resource id (Kind/name@site)", status: .badRequest)
                }
                scope = .resource(id)
            } else if let site = fields["site"]?.stringValue {
                scope = .site(site)
            }
        }
        return await enqueue([scope], event: nil)
    }

    private func cloudEvent(_ request: Request) async throws -> Response {
        let body = try await Self.body(request)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
        do {
            let events = try CloudEvent.events(headers: headers, body: body)
            var scopes: [WatchController.Scope] = []
            for event in events { scopes.append(contentsOf: try event.scopes()) }
            return await enqueue(scopes, event: events.map(\.id).joined(separator: ","))
        } catch {
            return Self.error(error.description, status: .badRequest)
        }
    }

    private func enqueue(_ scopes: [WatchController.Scope], event: String?) async -> Response {
        var count = 0
        for scope in scopes {
            do {
                count += try await controller.enqueue(scope)
            } catch let error as WatchController.ScopeError {
                return Self.error(error.description, status: .notFound)
            } catch {
                return Self.error("\(error)", status: .internalServerError)
            }
        }
        var fields: [String: Value] = ["enqueued": .int(count)]
        if let event { fields["event"] = .string(event) }
        return Self.json(.map(Fields(fields)), status: .accepted)
    }

    static func body(_ request: Request, limit: Int = maxBody) async throws -> [UInt8] {
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch {
            throw HTTPError(.contentTooLarge, message: "the body is larger than \(limit) bytes")
        }
    }

    /// An error answer, in the API's one error shape.
    static func error(_ message: String, status: HTTPResponse.Status) -> Response {
        APIErrorMiddleware<BasicRequestContext>.response(status, message)
    }

    static func json(_ value: Value, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: JSONText.pretty(value))))
    }

    static func text(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

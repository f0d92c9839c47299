import BallastCore
import BallastEngine
import BallastProviders
import BallastSim
import BallastServer
import BallastState
import BallastTesting
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Testing

private let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

private let estate = TestManifests.oneSite + """
    apiVersion: ballast.dev/v1
    kind: Bucket
    metadata: { name: b, site: s }
    spec: { versioning: true }

    """

/// The router in-process (HummingbirdTesting's `.router`), over a started controller on the
/// sim provider: no socket, no daemon process.
private func withRouter(readsNeedToken: Bool, gitWebhook: GitWebhook? = nil, _ body: @Sendable (any TestClientProtocol, WatchController) async throws -> Void) async throws {
    let directory = TemporaryDirectory(prefix: "ballast-router")
    defer { directory.remove() }
    directory.write("manifests/estate.yaml", estate)
    let registry = ProviderRegistry([SimProvider(world: SimWorldStore(directory: directory.file("sim")))])
    let store = InMemoryStateStore()
    let planner = PlanService(registry: registry, store: store, secrets: FixedSecretSource(), logger: quietLogger)
    let executor = Executor(registry: registry, store: store, logger: quietLogger, sleep: { _ in })
    let prometheus = PrometheusCollectorRegistry()
    let controller = WatchController(
        paths: [directory.file("manifests")], applier: ApplyService(planner: planner, executor: executor, logger: quietLogger),
        configuration: WatchConfiguration(), metrics: WatchMetrics(factory: PrometheusMetricsFactory(registry: prometheus)), logger: quietLogger)
    #expect(try await controller.start().plan != nil)
    let access = APIAccess(adminToken: "admin-token", readToken: "read-token", readsNeedToken: readsNeedToken)
    let router = APIRouter(controller: controller, store: store, metrics: prometheus, access: access, gitWebhook: gitWebhook).router()
    try await Application(router: router).test(.router) { client in try await body(client, controller) }
}

private func bearer(_ token: String) -> HTTPFields {
    var headers = HTTPFields()
    headers[.authorization] = "Bearer \(token)"
    return headers
}

private func errorBody(_ response: TestResponse) -> String? {
    guard case .map(let fields)? = try? JSONValueParser.parse(Array(response.body.readableBytesView)), fields.count == 1 else { return nil }
    return fields["error"]?.stringValue
}

@Suite("API router")
struct APIRouterTests {
    @Test func everyErrorHasOneShape() async throws {
        try await withRouter(readsNeedToken: false) { client, _ in
            let unknownRoute = try await client.execute(uri: "/v1/nothing-here", method: .get)
            #expect(unknownRoute.status == .notFound)
            #expect(errorBody(unknownRoute) == "no such route: GET /v1/nothing-here")
            let unknownResource = try await client.execute(uri: "/v1/resources/Bucket/zzz@s", method: .get)
            #expect(unknownResource.status == .notFound)
            #expect(errorBody(unknownResource) == "Bucket/zzz@s is not under watch")
            let badQuery = try await client.execute(uri: "/v1/resources?condition=Sideways", method: .get)
            #expect(badQuery.status == .badRequest && errorBody(badQuery)?.hasPrefix("unknown condition 'Sideways'") == true)
            let noToken = try await client.execute(uri: "/v1/reconcile", method: .post)
            #expect(noToken.status == .unauthorized && errorBody(noToken) != nil)
            #expect(noToken.headers[.wwwAuthenticate] == "Bearer realm=\"ballast\"")
            let badBody = try await client.execute(uri: "/v1/reconcile", method: .post, headers: bearer("admin-token"), body: ByteBuffer(string: "[1]"))
            #expect(badBody.status == .badRequest && errorBody(badBody) != nil)
        }
    }

    @Test func onLoopbackReadsAreOpenAndMutationsNeedTheAdminToken() async throws {
        try await withRouter(readsNeedToken: false) { client, _ in
            #expect(try await client.execute(uri: "/v1/resources", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/v1/reconcile", method: .post, headers: bearer("read-token")).status == .forbidden)
            #expect(try await client.execute(uri: "/v1/reconcile", method: .post, headers: bearer("wrong")).status == .unauthorized)
            let enqueued = try await client.execute(uri: "/v1/reconcile", method: .post, headers: bearer("admin-token"))
            #expect(enqueued.status == .accepted, "\(String(buffer: enqueued.body))")
            // Approving when nothing is held is a conflict, in the same shape.
            let approval = try await client.execute(uri: "/v1/reconcile", method: .post, headers: bearer("admin-token"), body: ByteBuffer(string: #"{"approveDeletions": "sha256:00"}"#))
            #expect(approval.status == .conflict && errorBody(approval) == "no deletions are held for approval")
        }
    }

    @Test func offLoopbackReadsNeedAToken() async throws {
        try await withRouter(readsNeedToken: true) { client, _ in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok, "probes stay open")
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/v1/resources", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "/v1/resources", method: .get, headers: bearer("read-token")).status == .ok)
            #expect(try await client.execute(uri: "/v1/sites", method: .get, headers: bearer("admin-token")).status == .ok)
            let manifests = try await client.execute(uri: "/v1/manifests", method: .get, headers: bearer("read-token"))
            #expect(String(buffer: manifests.body).contains("\"heldDeletions\": null"))
        }
    }

    @Test func theGitWebhookChecksItsSignatureInsteadOfAToken() async throws {
        let webhook = try #require(GitWebhook(secret: "hook-secret\n"))
        try await withRouter(readsNeedToken: true, gitWebhook: webhook) { client, _ in
            let body = #"{"ref": "refs/heads/main", "after": "0000000000000000000000000000000000000000"}"#
            let mac = HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: SymmetricKey(data: Array("hook-secret".utf8)))
            let signature = SpecDigest.hex(mac)
            var github = HTTPFields()
            github[HTTPField.Name("X-Hub-Signature-256")!] = "sha256=" + signature
            github[HTTPField.Name("X-GitHub-Event")!] = "push"
            let good = try await client.execute(uri: "/v1/hooks/git", method: .post, headers: github, body: ByteBuffer(string: body))
            #expect(good.status == .accepted, "\(String(buffer: good.body))")
            // The same signature over another body, a wrong secret, or none at all: 401.
            let tampered = try await client.execute(uri: "/v1/hooks/git", method: .post, headers: github, body: ByteBuffer(string: body + " "))
            #expect(tampered.status == .unauthorized && errorBody(tampered)?.contains("does not match") == true)
            let unsigned = try await client.execute(uri: "/v1/hooks/git", method: .post, body: ByteBuffer(string: body))
            #expect(unsigned.status == .unauthorized && errorBody(unsigned)?.contains("not signed") == true)
            var gitea = HTTPFields()
            gitea[HTTPField.Name("X-Gitea-Signature")!] = signature
            #expect(try await client.execute(uri: "/v1/hooks/git", method: .post, headers: gitea, body: ByteBuffer(string: body)).status == .accepted)
            var gitlab = HTTPFields()
            gitlab[HTTPField.Name("X-Gitlab-Token")!] = "hook-secret"
            #expect(try await client.execute(uri: "/v1/hooks/git", method: .post, headers: gitlab, body: ByteBuffer(string: body)).status == .accepted)
            gitlab[HTTPField.Name("X-Gitlab-Token")!] = "hook-secreT"
            #expect(try await client.execute(uri: "/v1/hooks/git", method: .post, headers: gitlab, body: ByteBuffer(string: body)).status == .unauthorized)
            var ping = github
            ping[HTTPField.Name("X-GitHub-Event")!] = "ping"
            #expect(try await client.execute(uri: "/v1/hooks/git", method: .post, headers: ping, body: ByteBuffer(string: body)).status == .ok)
        }
        // A daemon without a webhook secret has no webhook.
        try await withRouter(readsNeedToken: false) { client, _ in
            let response = try await client.execute(uri: "/v1/hooks/git", method: .post, body: ByteBuffer(string: "{}"))
            #expect(response.status == .notFound)
        }
    }

    @Test func suspendAndResumeNeedTheAdminTokenAndShowInTheManifestReport() async throws {
        try await withRouter(readsNeedToken: false) { client, controller in
            #expect(try await client.execute(uri: "/v1/suspend", method: .post, headers: bearer("read-token")).status == .forbidden)
            let suspended = try await client.execute(uri: "/v1/suspend", method: .post, headers: bearer("admin-token"))
            #expect(suspended.status == .ok && String(buffer: suspended.body).contains("\"changed\": true"))
            #expect(await controller.isSuspended)
            let again = try await client.execute(uri: "/v1/suspend", method: .post, headers: bearer("admin-token"))
            #expect(String(buffer: again.body).contains("\"changed\": false"))
            let manifests = try await client.execute(uri: "/v1/manifests", method: .get)
            #expect(String(buffer: manifests.body).contains("\"suspended\": true"))
            #expect(String(buffer: manifests.body).contains("\"kind\": \"directory\""))
            #expect(try await client.execute(uri: "/v1/resume", method: .post, headers: bearer("admin-token")).status == .ok)
            #expect(await !controller.isSuspended)
        }
    }
}

import BallastCore
import BallastEngine
import BallastProviders
import BallastServer
import BallastSim
import BallastState
import BallastTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Testing

@testable import BallastServer

private let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// Two sites, a label with markup in it, a secret, and enough buckets to need pages.
private let estate = """
    apiVersion: ballast.dev/v1
    kind: Site
    metadata: { name: cloud-a }
    spec: { class: cloud, provider: sim }
    ---
    apiVersion: ballast.dev/v1
    kind: Site
    metadata: { name: edge-b }
    spec: { class: edge, provider: sim }
    ---
    apiVersion: ballast.dev/v1
    kind: Database
    metadata: { name: orders, site: cloud-a, labels: { team: payments } }
    spec: { engine: postgres, version: "<script>alert(1)</script>", sizeGb: 10, password: "${env:DB_PASSWORD}" }

    """ + (1...30).map { index in
        """
        ---
        apiVersion: ballast.dev/v1
        kind: Bucket
        metadata: { name: bucket-\(String(format: "%02d", index)), site: \(index.isMultiple(of: 2) ? "cloud-a" : "edge-b"), labels: { tier: t\(index % 3) } }
        spec: { versioning: true }

        """
    }.joined()

private struct Console {
    let client: any TestClientProtocol
    let store: any StateStore

    func get(_ uri: String, cookie: String? = nil, token: String? = nil) async throws -> TestResponse {
        var headers = HTTPFields()
        if let cookie { headers[.cookie] = cookie }
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: uri, method: .get, headers: headers)
    }

    func page(_ uri: String, cookie: String? = nil) async throws -> String {
        String(buffer: try await get(uri, cookie: cookie, token: cookie == nil ? "read-token" : nil).body)
    }
}

private func withConsole(readsNeedToken: Bool = true, manifests: String = estate, _ body: @Sendable (Console) async throws -> Void) async throws {
    let directory = TemporaryDirectory(prefix: "ballast-console")
    defer { directory.remove() }
    directory.write("manifests/estate.yaml", manifests)
    let registry = ProviderRegistry([SimProvider(world: SimWorldStore(directory: directory.file("sim")))])
    let store: any StateStore = InMemoryStateStore()
    let planner = PlanService(registry: registry, store: store, secrets: FixedSecretSource(environment: ["DB_PASSWORD": "s3cr3t-value"]), logger: quiet)
    let executor = Executor(registry: registry, store: store, logger: quiet, sleep: { _ in })
    let prometheus = PrometheusCollectorRegistry()
    let controller = WatchController(
        paths: [directory.file("manifests")], applier: ApplyService(planner: planner, executor: executor, logger: quiet),
        configuration: WatchConfiguration(), metrics: WatchMetrics(factory: PrometheusMetricsFactory(registry: prometheus)), logger: quiet)
    #expect(try await controller.start().plan != nil)
    let access = APIAccess(adminToken: "admin-token", readToken: "read-token", readsNeedToken: readsNeedToken, storedToken: { try await store.token(digest: $0) })
    let router = APIRouter(controller: controller, store: store, metrics: prometheus, access: access).router()
    try await Application(router: router).test(.router) { client in try await body(Console(client: client, store: store)) }
}

@Suite("Status console")
struct ConsoleTests {
    @Test func thePageListsEverySiteAndResourceAndEscapesWhatManifestsSay() async throws {
        try await withConsole(readsNeedToken: false) { console in
            let response = try await console.get("/?per=500")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            #expect(response.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("script-src 'self'") == true)
            let page = String(buffer: response.body)
            for site in ["cloud-a", "edge-b"] { #expect(page.contains(">\(site)</a></th>"), "\(site)") }
            for index in 1...30 { #expect(page.contains("Bucket/bucket-\(String(format: "%02d", index))</a>")) }
            #expect(page.contains("Database/orders</a>"))
            #expect(page.contains("<span class=\"label\">team=payments</span>"))
            #expect(!page.contains("s3cr3t-value"))
            #expect(page.contains("1–31 of 31"))
            #expect(page.contains("<script src=\"/console.js\" defer></script>"), "the only script is the console's own")
        }
    }

    /// Each site's monthly cost by the price books, and a dash for a site none covers.
    @Test func eachSiteShowsWhatItCostsAMonth() async throws {
        let priced = estate + """
            ---
            apiVersion: ballast.dev/v1
            kind: PriceBook
            metadata: { name: buckets }
            spec:
              sites: [cloud-a]
              currency: EUR
              models:
                - provider: sim
                  kind: Bucket
                  terms:
                    - { name: bucket, perMonth: 2.5 }

            """
        try await withConsole(readsNeedToken: false, manifests: priced) { console in
            let page = try await console.page("/")
            let rows = page.components(separatedBy: "<tr>").filter { $0.contains("<th scope=\"row\"><a href=\"/?site=") }
            let cloud = try #require(rows.first { $0.contains(">cloud-a</a>") })
            let edge = try #require(rows.first { $0.contains(">edge-b</a>") })
            #expect(cloud.contains(">€37.50</span>"), "15 buckets at €2.50: \(cloud)")
            #expect(edge.contains("no price book covers these resources"), "\(edge)")
        }
        try await withConsole(readsNeedToken: false) { console in
            let page = try await console.page("/")
            #expect(!page.contains("€"), "no price book, no figure")
        }
    }

    @Test func filtersAndPagesAreInTheAddressAndWorkWithoutJavaScript() async throws {
        try await withConsole(readsNeedToken: false) { console in
            let edge = try await console.page("/?site=edge-b&per=25")
            #expect(edge.contains("1–15 of 15"))
            #expect(!edge.contains("Database/orders</a>"))
            let second = try await console.page("/?kind=Bucket&per=25&page=2")
            #expect(second.contains("26–30 of 30"))
            #expect(second.contains("rel=\"prev\" href=\"/?kind=Bucket&amp;per=25\""))
            #expect(!second.contains("rel=\"next\""))
            #expect(try await console.page("/?label=tier%3Dt0&per=25").contains("1–10 of 10"))
            #expect(try await console.page("/?label=team").contains("1–1 of 1"))
            #expect(try await console.page("/?q=BUCKET-0").contains("1–9 of 9"), "the id search ignores case")
            #expect(try await console.page("/?condition=Failed").contains("No resource matches these filters."))
            #expect(try await console.page("/?page=99&per=25").contains("No resources on this page; 31 match."))
            #expect(try await console.page("/?per=7&page=-3&condition=nonsense").contains("1–31 of 31"), "odd values fall back to defaults")
        }
    }

    @Test func aResourcePageHidesSensitiveFieldsAndShowsItsJournal() async throws {
        try await withConsole(readsNeedToken: false) { console in
            let response = try await console.get("/resources/Database%2Forders%40cloud-a")
            #expect(response.status == .ok)
            let page = String(buffer: response.body)
            #expect(page.contains("<dt>password</dt><dd>&quot;(sensitive)&quot;</dd>"), "\(page)")
            #expect(!page.contains("<script>alert"), "a spec value's markup is escaped")
            #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!page.contains("s3cr3t-value"))
            #expect(page.contains("<td>create</td><td>succeeded</td>"))
            #expect(page.contains("Ready</th><td>True</td>"))
            #expect(try await console.get("/resources/Database%2Fnope%40cloud-a").status == .notFound)
            #expect(try await console.get("/resources/not-an-id").status == .badRequest)
        }
    }

    @Test func offLoopbackTheConsoleSignsInOnceAndTheCookieOnlyReads() async throws {
        try await withConsole { console in
            let anonymous = try await console.get("/?site=edge-b")
            #expect(anonymous.status == .seeOther)
            #expect(anonymous.headers[.location] == "/signin?next=%2F%3Fsite%3Dedge-b")
            #expect(try await console.get("/v1/stream").status == .unauthorized, "the stream needs a session or a token too")
            #expect(try await console.get("/console.css").status == .ok)

            func signIn(_ token: String, next: String = "/") async throws -> TestResponse {
                var headers = HTTPFields()
                headers[.contentType] = "application/x-www-form-urlencoded"
                return try await console.client.execute(uri: "/signin", method: .post, headers: headers, body: ByteBuffer(string: "token=\(token)&next=\(HTML_component(next))"))
            }
            #expect(try await signIn("wrong").status == .unauthorized)
            let signedIn = try await signIn("read-token", next: "/?site=edge-b")
            #expect(signedIn.status == .seeOther)
            #expect(signedIn.headers[.location] == "/?site=edge-b")
            let setCookie = try #require(signedIn.headers[.setCookie])
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
            let cookie = String(setCookie.split(separator: ";")[0])
            #expect(!cookie.contains("read-token"), "the cookie is not the token")
            #expect(try await console.get("/", cookie: cookie).status == .ok)
            #expect(try await console.get("/v1/resources", cookie: cookie).status == .ok)
            #expect(try await signIn("read-token", next: "//evil.example/x").headers[.location] == "/", "never sent to another site")

            // The cookie never changes anything, whichever token signed in.
            let admin = String(try #require(try await signIn("admin-token").headers[.setCookie]).split(separator: ";")[0])
            var post = HTTPFields()
            post[.cookie] = admin
            #expect(try await console.client.execute(uri: "/v1/reconcile", method: .post, headers: post).status == .unauthorized)

            // A forged or altered cookie reads nothing.
            #expect(try await console.get("/", cookie: cookie + "x").status == .seeOther)
            #expect(try await console.get("/", cookie: "ballast_session=abc.1.def").status == .seeOther)

            // A session made with a stored token ends when the token is revoked.
            let stored = "stored-token-value"
            try await console.store.saveToken(APIToken(name: "viewer", digest: APIAccess.digest(stored), role: .read, createdAt: Date()))
            let viewer = String(try #require(try await signIn(stored).headers[.setCookie]).split(separator: ";")[0])
            #expect(try await console.get("/", cookie: viewer).status == .ok)
            #expect(try await console.store.revokeToken(name: "viewer"))
            #expect(try await console.get("/", cookie: viewer).status == .seeOther)

            // Signing out ends the session, on the server too: the old cookie reads nothing.
            #expect(try await console.page("/", cookie: cookie).contains("action=\"/signout\""))
            #expect(!(try await console.page("/")).contains("action=\"/signout\""), "no sign-out without a session")
            var signOut = HTTPFields()
            signOut[.cookie] = cookie
            let signedOut = try await console.client.execute(uri: "/signout", method: .post, headers: signOut)
            #expect(signedOut.status == .seeOther && signedOut.headers[.location] == "/signin")
            #expect(signedOut.headers[.setCookie]?.contains("Max-Age=0") == true)
            #expect(try await console.get("/", cookie: cookie).status == .seeOther)
            #expect(try await console.get("/", cookie: admin).status == .ok, "other sessions go on")
        }
    }

    /// Every replica of a state derives the same session key from the state's secret key, so a
    /// cookie one replica issued is honoured by the others; a key from another state is not.
    @Test func sessionsSignedWithAStatesKeyHoldAcrossItsProcessesOnly() {
        let stateKey = [UInt8](repeating: 7, count: 32)
        let cookie = ConsoleSession(stateKey: stateKey).issue(digest: [UInt8](repeating: 1, count: 32))
        #expect(ConsoleSession(stateKey: stateKey).digest(ofCookie: cookie) == [UInt8](repeating: 1, count: 32))
        #expect(ConsoleSession(stateKey: [UInt8](repeating: 8, count: 32)).digest(ofCookie: cookie) == nil)
        #expect(ConsoleSession().digest(ofCookie: cookie) == nil)
        #expect(!cookie.contains(SpecDigest.hex(stateKey)), "the state's key never shows")
    }
}

/// Percent-encodes a form value.
private func HTML_component(_ value: String) -> String {
    value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
}

@Suite("Status console rendering")
struct ConsoleRenderingTests {
    /// A label with markup never validates, so it reaches the page only inside the diagnostic
    /// of a held commit: escaped there, like every text from outside.
    @Test func aHeldCommitsDiagnosticsAreEscapedAndSecretsRedacted() {
        let redactor = SecretRedactor()
        redactor.learn(["hunter2-secret"])
        let report = ManifestReport(
            valid: false, at: Date(), inputDigest: "d",
            diagnostics: ["estate.yaml:4:58: error: invalid value '<script>alert(1)</script>' for label 'team'", "password hunter2-secret"], resources: 3,
            revision: SourceRevision(commit: String(repeating: "a", count: 40), subject: "<img src=x onerror=alert(1)>"),
            heldRevision: SourceRevision(commit: String(repeating: "b", count: 40)))
        let snapshot = ConsoleSnapshot(total: 0, rows: [], offset: 0, sites: [], manifests: report, suspended: true, kinds: [], labelKeys: [])
        let page = ConsolePage(
            snapshot: snapshot, query: ConsoleQuery(), events: [], source: SourceStatus(kind: .git, location: "https://git.example/infra.git", paths: ["."]),
            html: HTML(redactor: redactor)).document()
        #expect(!page.contains("<script>alert"))
        #expect(!page.contains("<img"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!page.contains("hunter2-secret"), "secrets are redacted before they are shown")
        #expect(page.contains("Commit <code>bbbbbbbbbbbb</code> is held"))
        #expect(page.contains("syncing suspended"))
    }
}

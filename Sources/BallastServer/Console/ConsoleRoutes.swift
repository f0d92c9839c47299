import BallastCore
import BallastEngine
import BallastState
import Foundation
import Hummingbird

/// The status console's routes on the daemon's router: the page, a resource's page, the
/// sign-in, the stylesheet and script, and the live stream. Read-only: nothing here changes
/// anything, and a session cookie is honoured for reads only (``AccessMiddleware``).
extension APIRouter {
    /// How much of the journal the main page shows.
    static let recentEventCount = 15
    /// A live stream ends after this long; the browser reconnects (EventSource does on its own).
    static let streamLifetime: Duration = .seconds(300)
    /// On replicas, how often a live stream renders its page to look for changes.
    static let replicatedStreamInterval: Duration = .seconds(2)

    func addConsole(to router: Router<BasicRequestContext>) {
        router.get("/") { request, _ in try await consolePage(request) }
        router.get("/resources/**") { request, _ in try await resourcePage(request) }
        router.get("/console.css") { _, _ in Self.asset(ConsoleLayout.stylesheet, type: "text/css; charset=utf-8") }
        router.get("/console.js") { _, _ in Self.asset(ConsoleLayout.script, type: "text/javascript; charset=utf-8") }
        router.get("/signin") { request, _ in signInPage(request) }
        router.post("/signin") { request, _ in try await signIn(request) }
        router.post("/signout") { request, _ in signOut(request) }
        router.get("/v1/stream") { request, _ in stream(request) }
        router.get("/v1/console") { request, _ in await consoleShare(request) }
    }

    /// The most rows another replica is asked for: a page deeper than this into one replica's
    /// share is cut short there (and says so through its total).
    static let maxShareRows = 20_000

    /// The page `query` describes. On replicas: this replica's share (the sites it answers for)
    /// merged with every other live replica's (`GET /v1/console?local=1`, asked with the
    /// caller's credentials), so any replica's console shows the whole control plane.
    private func page(_ query: ConsoleQuery, credentials: PeerCredentials) async -> ConsolePage {
        let events = (try? await store.events(JournalQuery(newest: Self.recentEventCount))) ?? []
        let html = HTML(redactor: controller.redactor)
        guard let status = await controller.replicaStatus(), let peers, let mine = await controller.sitesAnswered(strictly: false) else {
            let snapshot = await controller.consoleSnapshot(query.filter, offset: query.offset, limit: query.perPage)
            return ConsolePage(snapshot: snapshot, query: query, events: events, source: controller.source.status(), html: html)
        }
        let wanted = min(query.offset + query.perPage, Self.maxShareRows)
        var snapshot = await controller.consoleSnapshot(query.filter, offset: 0, limit: wanted, sites: mine)
        let others = status.view.alive.filter { $0.beat.id != status.me }
        let parameters = [query.queryString(page: 1), "local=1", "offset=0", "limit=\(wanted)"].filter { !$0.isEmpty }.joined(separator: "&")
        var unanswered: [String] = []
        await withTaskGroup(of: (String, (total: Int, rows: [ConsoleSnapshot.Row], sites: [ConsoleSnapshot.SiteRow])?).self) { group in
            for peer in others {
                group.addTask {
                    guard let (code, body) = await peers.get("http://\(peer.beat.listen)/v1/console?\(parameters)", credentials: credentials), code == 200,
                          let value = try? JSONValueParser.parse(body) else { return (peer.beat.id, nil) }
                    return (peer.beat.id, ConsoleSnapshotJSON.decode(value))
                }
            }
            for await (id, share) in group {
                guard let share else {
                    unanswered.append(id)
                    continue
                }
                snapshot.total += share.total
                snapshot.rows += share.rows
                // A site two replicas report (a lease changing hands) is shown once.
                snapshot.sites += share.sites.filter { site in !snapshot.sites.contains { $0.status.name == site.status.name } }
            }
        }
        // A site changing hands may be answered by both replicas for a moment: one row per id.
        var seen = Set<ResourceID>()
        let rows = snapshot.rows.sorted { $0.status.id < $1.status.id }.filter { seen.insert($0.status.id).inserted }
        snapshot.rows = Array(rows.dropFirst(query.offset).prefix(query.perPage))
        snapshot.offset = query.offset
        snapshot.sites.sort { $0.status.name < $1.status.name }
        var page = ConsolePage(snapshot: snapshot, query: query, events: events, source: controller.source.status(), html: html)
        page.unansweredReplicas = unanswered.sorted()
        return page
    }

    /// This replica's share of a console page, for the replica rendering it: `offset`/`limit`
    /// rows of what it answers for (strictly, with `local`: the sites it holds) matching the
    /// page's filters.
    private func consoleShare(_ request: Request) async -> Response {
        let parameters = Self.parameters(request)
        let query = ConsoleQuery(parameters)
        let offset = max(0, parameters["offset"].flatMap { Int($0) } ?? 0)
        let limit = min(max(0, parameters["limit"].flatMap { Int($0) } ?? query.perPage), Self.maxShareRows)
        let sites = await controller.sitesAnswered(strictly: parameters["local"] != nil)
        return Self.json(ConsoleSnapshotJSON.encode(await controller.consoleSnapshot(query.filter, offset: offset, limit: limit, sites: sites)))
    }

    private func consolePage(_ request: Request) async throws -> Response {
        var page = await page(ConsoleQuery(Self.parameters(request)), credentials: Self.credentials(request))
        page.signedIn = hasSession(request)
        return Self.html(page.document())
    }

    /// The request carries a session cookie this process honours.
    private func hasSession(_ request: Request) -> Bool {
        guard let cookie = request.headers[.cookie], let value = ConsoleSession.value(inCookieHeader: cookie) else { return false }
        return access.session.digest(ofCookie: value) != nil
    }

    private func resourcePage(_ request: Request) async throws -> Response {
        let raw = String(request.uri.path.dropFirst("/resources/".count))
        let text = raw.removingPercentEncoding ?? raw
        let html = HTML(redactor: controller.redactor)
        guard let id = ResourceID(parsing: text) else {
            return Self.html(ConsoleLayout.document(title: "Not found · Ballast", body: "<main><section><h1>Not a resource id</h1><p>‘\(html.text(text))’ is not <code>Kind/name@site</code>. <a href=\"/\">Back</a></p></section></main>"), status: .badRequest)
        }
        // On replicas, the owner of the resource's site renders its page (it holds its conditions
        // and drift history). Asked by another replica, with `local`, it answers from what it has.
        if Self.parameters(request)["local"] == nil, let answered = await controller.sitesAnswered(strictly: false), !answered.contains(id.site), let peers,
           let replicas = await controller.replicaStatus(), let owner = replicas.view.holder(of: id.site),
           let peer = replicas.view.alive.first(where: { $0.beat.id == owner.owner }) {
            let answer = await peers.get("http://\(peer.beat.listen)\(request.uri.path)?local=1", credentials: Self.credentials(request))
            // Only a page is passed on: a redirect or refusal from the owner (a session it does
            // not honour: replicas started with different token files) would reach the browser
            // as an empty page without its Location.
            guard let (code, body) = answer, code == 200 || code == 404 else {
                let why = answer.map { "answered HTTP \($0.status) (its tokens may differ from this replica's)" } ?? "did not answer; reload to try again"
                return Self.html(ConsoleLayout.document(title: "Unavailable · Ballast", body: "<main><section><h1>\(html.text(id.description))</h1><p>Its site, \(html.text(id.site)), is owned by replica <code>\(html.text(owner.owner))</code>, which \(why). <a href=\"/\">Back</a></p></section></main>"), status: .serviceUnavailable)
            }
            return Self.html(String(decoding: body, as: UTF8.self), status: .init(code: code))
        }
        let status = await controller.resource(id)
        let entry = (try? await store.entry(id)) ?? nil
        guard status != nil || entry != nil else {
            return Self.html(ConsoleLayout.document(title: "Not found · Ballast", body: "<main><section><h1>\(html.text(id.description))</h1><p>Neither declared nor managed. <a href=\"/\">Back</a></p></section></main>"), status: .notFound)
        }
        let events = (try? await store.events(JournalQuery(resource: id, newest: 20))) ?? []
        let drifts = await controller.driftHistory(of: id)
        return Self.html(ResourcePage(
            id: id, status: status, entry: entry, events: events, drifts: drifts, catalog: controller.schemaCatalog, html: html, signedIn: hasSession(request)
        ).document())
    }

    private func signInPage(_ request: Request) -> Response {
        guard access.readsNeedToken else { return Self.redirect("/") }
        return Self.html(SignInPage.document(next: Self.safeNext(Self.parameters(request)["next"]), error: nil))
    }

    /// A token in a form: a read or admin token gets a session cookie for reads.
    private func signIn(_ request: Request) async throws -> Response {
        let form = Self.form(try await Self.body(request))
        let next = Self.safeNext(form["next"])
        let token = (form["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let role = token.isEmpty ? nil : try? await access.role(ofBearer: token)
        guard let role, role >= .read else {
            return Self.html(SignInPage.document(next: next, error: "That token is not valid here."), status: .unauthorized)
        }
        var response = Self.redirect(next)
        let secure = request.headers[.init("X-Forwarded-Proto")!] == "https"
        response.headers[.setCookie] = access.session.setCookie(access.session.issue(digest: APIAccess.digest(token)), secure: secure)
        return response
    }

    /// Ends the session the request's own cookie stands for, and clears the cookie. Takes no
    /// token: it can end no one else's session (a page on another site cannot send the cookie,
    /// which is SameSite=Strict).
    private func signOut(_ request: Request) -> Response {
        if let cookie = request.headers[.cookie], let value = ConsoleSession.value(inCookieHeader: cookie) { access.session.signOut(value) }
        var response = Self.redirect(access.readsNeedToken ? "/signin" : "/")
        response.headers[.setCookie] = ConsoleSession.clearCookie
        return response
    }

    /// Server-sent events for the page the query describes: a message when what it shows
    /// changed, at most one a second (coalesced), and a comment every 15 s to keep proxies open.
    /// On replicas, where other replicas' changes have no revision here, the page is rendered
    /// every ``replicatedStreamInterval`` and sent when its parts differ.
    private func stream(_ request: Request) -> Response {
        let query = ConsoleQuery(Self.parameters(request))
        let credentials = Self.credentials(request)
        let router = self
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            // Taken here, where it is also given back: a slot never outlives its stream.
            guard router.streams.take() else {
                try await writer.write(ByteBuffer(string: "retry: 30000\nevent: busy\ndata: {}\n\n"))
                try await writer.finish(nil)
                return
            }
            defer { router.streams.give() }
            try await writer.write(ByteBuffer(string: "retry: 3000\n\n"))
            let clock = ContinuousClock()
            let end = clock.now + Self.streamLifetime
            var shown: (revision: Int, newest: Int64?)?
            var quietSince = clock.now
            if await router.controller.replicaStatus() != nil, router.peers != nil {
                var sent = await router.page(query, credentials: credentials).fragments()
                while clock.now < end, !Task.isCancelled, await !router.controller.isStopping {
                    try await Task.sleep(for: Self.replicatedStreamInterval)
                    let parts = await router.page(query, credentials: credentials).fragments()
                    if parts != sent {
                        let json = JSONText.string(.map(Fields(parts.mapValues(Value.string))))
                        try await writer.write(ByteBuffer(string: "event: update\ndata: \(json)\n\n"))
                        sent = parts
                        quietSince = clock.now
                    } else if clock.now - quietSince > .seconds(15) {
                        try await writer.write(ByteBuffer(string: ": still here\n\n"))
                        quietSince = clock.now
                    }
                }
                try await writer.finish(nil)
                return
            }
            while clock.now < end, !Task.isCancelled, await !router.controller.isStopping {
                let revision = await router.controller.consoleRevision()
                let newest = (try? await router.store.events(JournalQuery(newest: 1)))?.last?.sequence
                if shown == nil || shown! != (revision, newest) {
                    if shown != nil {
                        let page = await router.page(query, credentials: credentials)
                        let json = JSONText.string(.map(Fields(page.fragments().mapValues(Value.string))))
                        try await writer.write(ByteBuffer(string: "event: update\ndata: \(json)\n\n"))
                    }
                    shown = (revision, newest)
                    quietSince = clock.now
                } else if clock.now - quietSince > .seconds(15) {
                    try await writer.write(ByteBuffer(string: ": still here\n\n"))
                    quietSince = clock.now
                }
                try await Task.sleep(for: .seconds(1))
            }
            try await writer.finish(nil)
        })
    }

    // MARK: Helpers

    static func parameters(_ request: Request) -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in request.uri.queryParameters where result[String(key)] == nil {
            result[String(key)] = String(value).replacingOccurrences(of: "+", with: " ")
        }
        return result
    }

    /// An `application/x-www-form-urlencoded` body.
    static func form(_ body: [UInt8]) -> [String: String] {
        var result: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if let key = parts.first, result[key] == nil { result[key] = parts.count > 1 ? parts[1] : "" }
        }
        return result
    }

    /// Where to go after signing in: a path on this daemon only, never another site.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), !next.contains(where: \.isNewline) else { return "/" }
        return next
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.init("Content-Security-Policy")!] = "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        headers[.init("Referrer-Policy")!] = "no-referrer"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func asset(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "max-age=300"
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }
}

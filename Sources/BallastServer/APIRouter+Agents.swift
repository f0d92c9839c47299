import BallastCore
import BallastEngine
import Foundation
import Hummingbird

/// The routes of pull sites' agents (protocol version ``SiteBundle/protocolVersion``, docs/edge.md),
/// each for one site and its agent token (``APIAccess``):
///
/// - `GET /v1/agents/SITE/desired?after=GENERATION&wait=60s`: the site's desired state newer
///   than `after`, waiting up to `wait` (at most 120 s) for one. `{"changed": false, …}` when
///   none came.
/// - `POST /v1/agents/SITE/report`: the agent's report; its heartbeat too.
extension APIRouter {
    /// A report lists every resource of its site: bodies up to this size are taken (a site of
    /// 20,000 resources reports about 15 MiB).
    static let maxReport = 64 << 20

    func addAgentRoutes(to router: Router<BasicRequestContext>) {
        router.get("/v1/agents/:site/desired") { request, context in try await agentDesired(request, site: context.parameters.get("site") ?? "") }
        router.post("/v1/agents/:site/report") { request, context in try await agentReport(request, site: context.parameters.get("site") ?? "") }
    }

    private func agentDesired(_ request: Request, site: String) async throws -> Response {
        let query = request.uri.queryParameters
        var after: Int64?
        if let text = query.get("after") {
            guard let value = Int64(text), value >= 0 else { return Self.error("after takes a generation: a whole number, 0 or more", status: .badRequest) }
            after = value
        }
        var wait = Duration.zero
        if let text = query.get("wait") {
            guard let value = DurationText.parse(text) else { return Self.error("wait takes a duration such as 60s, 500ms or 2m", status: .badRequest) }
            wait = value
        }
        let answer: AgentHub.Answer
        do {
            answer = try await controller.agents.desired(site: site, after: after, wait: wait, clock: SystemControllerClock())
        } catch let error as AgentHub.HubError {
            switch error {
            case .notPullSite: return Self.error(error.description, status: .notFound)
            case .secretUnknown: return Self.error(error.description, status: .serviceUnavailable)
            }
        }
        var fields = Fields(["protocolVersion": .int(SiteBundle.protocolVersion), "site": .string(site)])
        switch answer {
        case .unchanged(let generation):
            fields["changed"] = .bool(false)
            fields["generation"] = generation.map { .int(Int($0)) } ?? .null
        case .revision(let revision, let secrets):
            guard let bundle = try? JSONValueParser.parse(revision.payload) else {
                return Self.error("the stored desired state of '\(site)' cannot be read", status: .internalServerError)
            }
            fields["changed"] = .bool(true)
            fields["generation"] = .int(Int(revision.generation))
            fields["digest"] = .string(revision.digest)
            fields["sourceRevision"] = revision.sourceRevision.map(Value.string) ?? .null
            fields["publishedAt"] = .string(Timestamp.string(revision.publishedAt, fractionalSeconds: true))
            fields["bundle"] = bundle
            fields["secrets"] = .map(Fields(secrets.map { ($0.key, Value.string($0.value)) }))
        }
        var response = Self.json(.map(fields))
        // The answer may hold the site's secrets: never kept by a cache on the way.
        response.headers[.cacheControl] = "no-store"
        return response
    }

    private func agentReport(_ request: Request, site: String) async throws -> Response {
        let text = String(decoding: try await Self.body(request, limit: Self.maxReport), as: UTF8.self)
        let report: AgentReportDocument
        do {
            report = try AgentReportDocument(text, site: site)
        } catch {
            return Self.error(error.description, status: .badRequest)
        }
        do {
            try await controller.agentReported(site: site, body: text, report: report)
        } catch let error as AgentHub.HubError {
            return Self.error(error.description, status: .notFound)
        }
        let desired = await controller.agents.agentState(site)?.desiredGeneration
        return Self.json(.map(Fields(["accepted": .bool(true), "desiredGeneration": desired.map { .int(Int($0)) } ?? .null])))
    }
}

import Hummingbird

/// Enforces ``APIAccess`` on every request: 401 without a matching `Authorization: Bearer`
/// token, 403 when the token's role is too low.
public struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let access: APIAccess

    public init(access: APIAccess) {
        self.access = access
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let needed = access.requiredRole(method: request.method.rawValue, path: request.uri.path) else {
            return try await next(request, context)
        }
        // A console session (a cookie) stands for a token, for reads only: never for a change.
        if needed == .read, request.headers[.authorization] == nil, let cookie = request.headers[.cookie],
           let value = ConsoleSession.value(inCookieHeader: cookie), let digest = access.session.digest(ofCookie: value),
           let role = try? await access.role(ofDigest: digest), role >= .read {
            return try await next(request, context)
        }
        if needed == .read, request.headers[.authorization] == nil, APIAccess.isConsolePage(request.uri.path) {
            let next = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            var headers = HTTPFields()
            headers[.location] = "/signin?next=" + HTML.component(next)
            return Response(status: .seeOther, headers: headers)
        }
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            let which = needed == .agent ? "the site's agent token ('ballast token create --site SITE')" : needed == .admin ? "an admin token (--token-file, BALLAST_TOKEN or 'ballast token create --role admin')" : "a read or admin token (--read-token-file, BALLAST_READ_TOKEN or 'ballast token create')"
            return APIErrorMiddleware<Context>.response(.unauthorized, "this route needs Authorization: Bearer TOKEN with \(which)", authenticate: true)
        }
        let grant: APIAccess.Grant?
        do {
            grant = try await access.grant(ofBearer: String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces))
        } catch {
            return APIErrorMiddleware<Context>.response(.serviceUnavailable, "the token could not be checked: \(error); retry")
        }
        guard let grant else {
            return APIErrorMiddleware<Context>.response(.unauthorized, "the bearer token does not match", authenticate: true)
        }
        if let refusal = access.refusal(of: grant, needed: needed, path: request.uri.path) {
            return APIErrorMiddleware<Context>.response(.forbidden, refusal)
        }
        return try await next(request, context)
    }
}

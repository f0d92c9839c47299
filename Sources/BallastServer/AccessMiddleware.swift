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
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            let which = needed == .admin ? "the daemon's admin token (--token-file or BALLAST_TOKEN)" : "a read token (--read-token-file or BALLAST_READ_TOKEN) or the admin token"
            return APIErrorMiddleware<Context>.response(.unauthorized, "this route needs Authorization: Bearer TOKEN with \(which)", authenticate: true)
        }
        guard let role = access.role(ofBearer: String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)) else {
            return APIErrorMiddleware<Context>.response(.unauthorized, "the bearer token does not match", authenticate: true)
        }
        guard role >= needed else {
            return APIErrorMiddleware<Context>.response(.forbidden, "a read token cannot change anything; use the admin token")
        }
        return try await next(request, context)
    }
}

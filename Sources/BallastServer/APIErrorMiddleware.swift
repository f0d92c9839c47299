import BallastCore
import Hummingbird

/// Gives every error the API answers one shape, `{"error": MESSAGE}` as JSON: a route's own
/// errors, an unknown route (404), a method a route does not take, a body too large (413), and
/// anything else thrown (500, without its details).
public struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            let message = error.body ?? (error.status == .notFound ? "no such route: \(request.method.rawValue) \(request.uri.path)" : error.status.reasonPhrase)
            return Self.response(error.status, message)
        } catch {
            context.logger.error("the API failed a request", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return Self.response(.internalServerError, "internal error; see the daemon's log")
        }
    }

    /// The one error body: `{"error": MESSAGE}`.
    static func response(_ status: HTTPResponse.Status, _ message: String, authenticate: Bool = false) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if authenticate { headers[.wwwAuthenticate] = "Bearer realm=\"ballast\"" }
        let body = JSONText.pretty(.map(Fields(["error": .string(message)])))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

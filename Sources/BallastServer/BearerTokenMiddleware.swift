import Crypto
import Foundation
import Hummingbird

/// Requires `Authorization: Bearer TOKEN` on every request that is not a GET or HEAD; answers
/// 401 otherwise. Tokens are compared in constant time.
public struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let expected: [UInt8]

    public init(token: String) {
        expected = Array(SHA256.hash(data: Array(token.utf8)))
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .get || request.method == .head { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            return Self.unauthorized("this route needs Authorization: Bearer TOKEN (the daemon's --token-file or BALLAST_TOKEN)")
        }
        let presented = Array(SHA256.hash(data: Array(header.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces).utf8)))
        // Both are digests of the same length: compare every byte, whatever differs.
        var difference: UInt8 = 0
        for (a, b) in zip(presented, expected) { difference |= a ^ b }
        guard difference == 0 else { return Self.unauthorized("the bearer token does not match") }
        return try await next(request, context)
    }

    static func unauthorized(_ message: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.wwwAuthenticate] = "Bearer realm=\"ballast\""
        let body = "{\n  \"error\": \"\(message)\"\n}"
        return Response(status: .unauthorized, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

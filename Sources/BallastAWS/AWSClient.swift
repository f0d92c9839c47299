import AsyncHTTPClient
import BallastCore
import BallastProviders
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Sends signed requests to AWS over async-http-client, with a timeout on every call, and turns
/// every failure — an AWS error answer, a refused connection, a timeout — into a typed
/// ``ProviderError``. Credentials never appear in its errors or logs.
public struct AWSClient: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]
    }

    let http: HTTPClient
    let timeout: Duration
    let now: @Sendable () -> Date

    public init(http: HTTPClient, timeout: Duration = .seconds(30), now: @escaping @Sendable () -> Date = { Date() }) {
        self.http = http
        self.timeout = timeout
        self.now = now
    }

    /// Signs and sends; answers 2xx are returned, anything else is thrown as a ProviderError
    /// whose message names `operation`. `accept` lists further statuses to return as answers.
    public func send(
        _ request: SigV4Signer.Request, signer: SigV4Signer, endpoint: AWSEndpoint, operation: String, accept: Set<Int> = []
    ) async throws(ProviderError) -> Response {
        let signed = signer.sign(request, at: now())
        var url = "\(endpoint.scheme)://\(endpoint.authority)\(SigV4Signer.encodePath(request.path.isEmpty ? "/" : request.path))"
        if !request.query.isEmpty { url += "?" + SigV4Signer.canonicalQuery(request.query) }
        var outgoing = HTTPClientRequest(url: url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in signed.headers where name.lowercased() != "host" { outgoing.headers.add(name: name, value: value) }
        outgoing.headers.replaceOrAdd(name: "Host", value: request.host)
        if !request.body.isEmpty { outgoing.body = .bytes(ByteBuffer(bytes: request.body)) }
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            let seconds = Int64(timeout.components.seconds) + (timeout.components.attoseconds > 0 ? 1 : 0)
            response = try await http.execute(outgoing, timeout: .seconds(seconds))
            body = try await response.body.collect(upTo: 32 << 20)
        } catch {
            throw Self.transportError(error, endpoint: endpoint, operation: operation)
        }
        let headers = response.headers.map { ($0.name, $0.value) }
        let bytes = Array(body.readableBytesView)
        let status = Int(response.status.code)
        guard (200..<300).contains(status) || accept.contains(status) else {
            throw AWSErrorClassifier.classify(status: status, headers: headers, body: bytes, operation: operation)
        }
        return Response(status: status, headers: headers, body: bytes)
    }

    static func transportError(_ error: any Error, endpoint: AWSEndpoint, operation: String) -> ProviderError {
        let text = "\(error)"
        if let client = error as? HTTPClientError, client == .deadlineExceeded || client == .readTimeout || client == .connectTimeout {
            return ProviderError(.timeout, "\(operation): \(endpoint.description) did not answer in time")
        }
        if text.contains("connectionRefused") || text.contains("Connection refused") || text.lowercased().contains("refused") {
            return ProviderError(.unavailable, "\(operation): cannot connect to \(endpoint.description): connection refused")
        }
        if text.contains("Timeout") || text.contains("timeout") {
            return ProviderError(.timeout, "\(operation): \(endpoint.description) did not answer in time")
        }
        return ProviderError(.unavailable, "\(operation): cannot reach \(endpoint.description): \(text)")
    }
}

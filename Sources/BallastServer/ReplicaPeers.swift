import AsyncHTTPClient
import Foundation
import NIOCore

/// Reads from the other watch replicas' APIs, so that any replica answers for the whole control
/// plane: each replica knows the conditions of the sites it owns.
public protocol ReplicaPeers: Sendable {
    /// GETs `url` with the caller's `credentials` passed on. Returns the status and body, or nil
    /// when the peer did not answer within its deadline. Never throws: a peer that is down is
    /// an expected case, reported by the caller.
    func get(_ url: String, credentials: PeerCredentials) async -> (status: Int, body: [UInt8])?
}

/// What a request to another replica carries on from the caller's own request: its
/// `Authorization` header and its console session cookie (every replica of a state honours
/// the others' cookies). Nothing of the replica's own.
public struct PeerCredentials: Sendable, Hashable {
    public var authorization: String?
    /// The `Cookie` header, reduced to the console's session cookie.
    public var sessionCookie: String?

    public init(authorization: String?, sessionCookie: String? = nil) {
        self.authorization = authorization
        self.sessionCookie = sessionCookie
    }
}

/// ``ReplicaPeers`` over HTTP, with async-http-client; each request gets ``timeout``.
public final class HTTPReplicaPeers: ReplicaPeers {
    private let client: HTTPClient
    public let timeout: Duration

    public init(timeout: Duration = .seconds(2)) {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .milliseconds(Int64(timeout / .milliseconds(1)))
        configuration.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.timeout = timeout
    }

    public func get(_ url: String, credentials: PeerCredentials) async -> (status: Int, body: [UInt8])? {
        var request = HTTPClientRequest(url: url)
        if let authorization = credentials.authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let cookie = credentials.sessionCookie { request.headers.add(name: "Cookie", value: cookie) }
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout / .milliseconds(1))))
            let body = try await response.body.collect(upTo: 256 << 20)
            return (Int(response.status.code), Array(body.readableBytesView))
        } catch {
            return nil
        }
    }

    /// Closes the connections; call once the API has stopped.
    public func shutdown() async {
        try? await client.shutdown()
    }
}

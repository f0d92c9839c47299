import AsyncHTTPClient
import BallastEngine
import BallastState
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// An event sink at an HTTP(S) URL: each event is POSTed in CloudEvents structured mode
/// (`Content-Type: application/cloudevents+json`), as Knative brokers, EventBridge API
/// destinations, Event Grid and Kafka HTTP bridges take it.
///
/// Credentials in the URL (`https://user:password@host/path`) are sent as HTTP basic auth and
/// appear in no name, key, log or metric. Each attempt gives up after `timeout`.
public struct HTTPEventSink: EventSink {
    public struct InvalidURL: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// A sink's URL, read and checked: what to call and how to name it.
    public struct Endpoint: Sendable, Hashable {
        /// The URL without its credentials.
        public let url: String
        /// `scheme://host:port/path`: no credentials, no query (which may hold a key, as the
        /// `?code=` of Azure Functions does).
        public let name: String
        /// A digest of the URL without its credentials: the same sink keeps its cursor when its
        /// password changes.
        public let key: String
        let authorization: String?

        public init(_ text: String) throws(InvalidURL) {
            guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
                let host = components.host, !host.isEmpty
            else {
                throw InvalidURL(description: "--events-sink takes an http:// or https:// URL, such as http://broker.example/default")
            }
            var bare = components
            bare.user = nil
            bare.password = nil
            guard let address = bare.string else { throw InvalidURL(description: "--events-sink: the URL cannot be read") }
            url = address
            if let user = components.user {
                let pair = "\(user.removingPercentEncoding ?? user):\(components.password?.removingPercentEncoding ?? "")"
                authorization = "Basic " + Data(pair.utf8).base64EncodedString()
            } else {
                authorization = nil
            }
            name = "\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")\(components.path)"
            key = "http:" + SHA256.hash(data: Data(address.utf8)).map { String(format: "%02x", $0) }.joined().prefix(32)
        }
    }

    public let endpoint: Endpoint
    private let client: HTTPClient
    private let timeout: Duration

    public var name: String { endpoint.name }
    public var key: String { endpoint.key }

    /// `client`: shared by the sinks of one process, and shut down by its owner.
    public init(_ endpoint: Endpoint, client: HTTPClient, timeout: Duration = .seconds(5)) {
        self.endpoint = endpoint
        self.client = client
        self.timeout = timeout
    }

    public func deliver(_ event: OutboxEvent) async throws(EventSinkError) {
        var request = HTTPClientRequest(url: endpoint.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/cloudevents+json; charset=utf-8")
        request.headers.add(name: "User-Agent", value: "ballast")
        if let authorization = endpoint.authorization { request.headers.add(name: "Authorization", value: authorization) }
        request.body = .bytes(ByteBuffer(string: event.body))
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout / .milliseconds(1))))
            let body: String = (try? await response.body.collect(upTo: 4096)).map { String(buffer: $0) } ?? ""
            if let error = EventSinkError.status(Int(response.status.code), body: body.trimmingCharacters(in: CharacterSet.whitespacesAndNewlines)) { throw error }
        } catch let error as EventSinkError {
            throw error
        } catch {
            throw EventSinkError(retryable: true, "cannot reach the sink: \(error)")
        }
    }
}

import AsyncHTTPClient
import BallastCore
import BallastEngine
import Foundation
import NIOCore
import NIOSSL

/// An edge agent's calls to its hub (protocol version ``SiteBundle/protocolVersion``): the
/// long-poll for the site's desired state, and reports. Every call carries the site's agent
/// token; with an `https` hub, the hub's certificate is checked against `--ca` (else the
/// system's roots).
public final class HubClient: Sendable {
    /// What went wrong talking to the hub.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// Whether trying again later can help (the hub is unreachable or busy; not a refusal).
        public var retryable: Bool
        public var description: String
    }

    /// A desired state the hub sent, not yet checked by the agent.
    public struct Answer: Sendable {
        public var generation: Int64
        public var digest: String
        public var sourceRevision: String?
        public var documents: [Value]
        public var secretReferences: [String]
        public var secrets: [String: String]
    }

    public enum Fetched: Sendable {
        case changed(Answer)
        /// Nothing newer than the agent's; the hub's latest generation.
        case unchanged(Int64?)
    }

    public let base: String
    public let site: String
    private let token: String
    private let client: HTTPClient

    /// `hub`: `http(s)://HOST:PORT`. `caFile`: PEM certificates the hub's must chain to.
    public init(hub: String, site: String, token: String, caFile: String?) throws {
        var trimmed = hub
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
              components.host?.isEmpty == false else {
            throw Failure(retryable: false, description: "--hub takes http(s)://HOST:PORT, such as https://hub.example:7070")
        }
        base = trimmed
        self.site = site
        self.token = token
        var configuration = HTTPClient.Configuration()
        if let caFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            } catch {
                throw Failure(retryable: false, description: "--ca \(caFile) holds no PEM certificate that can be read: \(error)")
            }
            configuration.tlsConfiguration = tls
        }
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(150))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    private var sitePath: String { "/v1/agents/" + (site.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? site) }

    /// The site's desired state newer than `after`, waiting up to `wait` on the hub for one.
    public func fetch(after: Int64?, wait: Duration) async throws(Failure) -> Fetched {
        let seconds = max(0, Int(wait.components.seconds))
        let query = (after.map { "after=\($0)&" } ?? "") + "wait=\(seconds)s"
        let (status, body) = try await call("GET", sitePath + "/desired?" + query, body: nil, timeout: wait + .seconds(30))
        guard status == 200 else { throw Self.refusal(status, body) }
        guard case .map(let fields)? = try? JSONValueParser.parse(body) else { throw Failure(retryable: true, description: "the hub's answer is not a JSON object") }
        guard fields["protocolVersion"]?.intValue == SiteBundle.protocolVersion else {
            throw Failure(retryable: false, description: "the hub speaks protocol version \(fields["protocolVersion"].map { JSONText.string($0) } ?? "none"), this agent \(SiteBundle.protocolVersion)")
        }
        guard fields["site"]?.stringValue == site else { throw Failure(retryable: true, description: "the hub answered for another site") }
        if fields["changed"] == .bool(false) { return .unchanged(fields["generation"]?.intValue.map(Int64.init)) }
        guard let generation = fields["generation"]?.intValue, generation > 0, let digest = fields["digest"]?.stringValue,
              case .map(let bundle)? = fields["bundle"], case .list(let documents)? = bundle["documents"],
              case .map(let secretFields)? = fields["secrets"] else {
            throw Failure(retryable: true, description: "the hub's answer lacks its generation, digest, documents or secrets")
        }
        var references: [String] = []
        if case .list(let items)? = bundle["secretReferences"] { references = items.compactMap(\.stringValue) }
        var secrets: [String: String] = [:]
        for (key, value) in secretFields.map({ ($0.key, $0.value) }) {
            guard let text = value.stringValue else { throw Failure(retryable: true, description: "the hub's answer has a secret that is not text") }
            secrets[key] = text
        }
        return .changed(Answer(
            generation: Int64(generation), digest: digest, sourceRevision: fields["sourceRevision"]?.stringValue, documents: documents,
            secretReferences: references, secrets: secrets))
    }

    /// Sends a report; returns the generation the hub has published, when it says.
    public func report(_ body: String) async throws(Failure) -> Int64? {
        let (status, answer) = try await call("POST", sitePath + "/report", body: body, timeout: .seconds(30))
        guard status == 200 || status == 202 else { throw Self.refusal(status, answer) }
        guard case .map(let fields)? = try? JSONValueParser.parse(answer) else { return nil }
        return fields["desiredGeneration"]?.intValue.map(Int64.init)
    }

    private func call(_ method: String, _ path: String, body: String?, timeout: Duration) async throws(Failure) -> (Int, String) {
        var request = HTTPClientRequest(url: base + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer " + token)
        request.headers.add(name: "User-Agent", value: "ballast-agent")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout / .milliseconds(1))))
            let collected = try await response.body.collect(upTo: 64 << 20)
            return (Int(response.status.code), String(buffer: collected))
        } catch {
            throw Failure(retryable: true, description: "cannot reach the hub at \(base): \(error)")
        }
    }

    private static func refusal(_ status: Int, _ body: String) -> Failure {
        var message = body.trimmingCharacters(in: .whitespacesAndNewlines)
        if case .map(let fields)? = try? JSONValueParser.parse(body), let text = fields["error"]?.stringValue { message = text }
        let retryable = status == 429 || status >= 500
        return Failure(retryable: retryable, description: "the hub answered \(status): \(TerminalText.escaping(String(message.prefix(500))))")
    }
}

import AsyncHTTPClient
import NIOCore

/// The HTTP client the aws provider sends through: a refused connection fails at once (the
/// engine's retries and the site's circuit handle flaky networks), connecting times out after
/// 10 s, and the client is shut down when the last provider holding it goes away.
public final class AWSHTTPClient: Sendable {
    public let http: HTTPClient

    public init(connectTimeout: TimeAmount = .seconds(10)) {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = connectTimeout
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .enabled(limit: .ratio(20))
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    deinit {
        http.shutdown(queue: .global()) { _ in }
    }
}

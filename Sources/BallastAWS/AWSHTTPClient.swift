import AsyncHTTPClient
import Foundation
import NIOCore

/// The HTTP client the aws provider sends through: a refused connection fails at once (the
/// engine's retries and the site's circuit handle flaky networks), connecting times out after
/// 10 s. It is made on first use — commands that never talk to AWS start no event loops — and
/// shut down when the last provider holding it goes away.
public final class AWSHTTPClient: @unchecked Sendable {
    private let lock = NSLock()
    private var client: HTTPClient?
    private let connectTimeout: TimeAmount

    public init(connectTimeout: TimeAmount = .seconds(10)) {
        self.connectTimeout = connectTimeout
    }

    public var http: HTTPClient {
        lock.withLock {
            if let client { return client }
            var configuration = HTTPClient.Configuration()
            configuration.timeout.connect = connectTimeout
            configuration.connectionPool.retryConnectionEstablishment = false
            configuration.decompression = .enabled(limit: .ratio(20))
            let made = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            client = made
            return made
        }
    }

    deinit {
        client?.shutdown(queue: .global()) { _ in }
    }
}

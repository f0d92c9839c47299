import BallastState
import Logging
import PostgresNIO
import Synchronization

/// LISTENs on a state's channel over a connection of its own, and hands every notification on
/// as a ``ReplicaHint``. When the connection drops (the server restarted), it connects again
/// after a second; notifications sent meanwhile are lost, which is why replicas also poll.
final class ReplicaListener: Sendable {
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(configuration: PostgresConnection.Configuration, channel: String, logger: Logger, deliver: @escaping @Sendable (ReplicaHint) -> Void) {
        let running = Task {
            var attempt = 0
            while !Task.isCancelled {
                do {
                    let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
                    attempt = 0
                    do {
                        try await connection.listen(on: channel) { notifications in
                            // Whatever happened while not listening is unknown: look again.
                            deliver(.leasesChanged)
                            for try await notification in notifications {
                                if let hint = ReplicaHint(payload: notification.payload) { deliver(hint) }
                            }
                        }
                    } catch {
                        logger.debug("stopped listening for other replicas; reconnecting", metadata: ["error": "\(error)"])
                    }
                    try? await connection.close()
                } catch {
                    attempt += 1
                    if attempt == 1 { logger.debug("cannot listen for other replicas; polling only until the database answers", metadata: ["error": "\(error)"]) }
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        task.withLock { $0 = running }
    }

    func stop() {
        task.withLock { $0?.cancel() }
    }
}

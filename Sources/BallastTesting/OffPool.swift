import Foundation

/// Runs blocking work (a child process, `psql`) on a thread of its own and awaits it, so that
/// an async test does not hold one of the few threads of Swift's cooperative pool meanwhile:
/// tests in the same process (the whole suite is one) would starve. Used by tests that run
/// many commands while daemons and in-process controllers work beside them.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.start()
    }
}

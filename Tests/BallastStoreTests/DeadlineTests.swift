@testable import BallastPostgres
import Testing

@Suite("PostgreSQL operation deadline")
struct DeadlineTests {
    /// What a wedged connection pool looks like: an operation that never ends and ignores
    /// cancellation.
    static func wedged() async throws -> Int {
        await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
        return 0
    }

    /// Before, a task group waited for the wedged child after the deadline, and this hung.
    @Test(.timeLimit(.minutes(1)))
    func theDeadlineAnswersEvenWhenTheOperationIgnoresCancellation() async throws {
        await #expect(throws: PostgresStateStore.DeadlinePassed.self) {
            try await PostgresStateStore.withDeadline(.milliseconds(200)) { try await Self.wedged() }
        }
        #expect(try await PostgresStateStore.withDeadline(.seconds(30)) { 42 } == 42)
    }
}

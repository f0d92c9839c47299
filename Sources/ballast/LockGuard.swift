import ArgumentParser
import BallastEngine
import BallastStore

/// Holds the state lock for a run and releases it once.
struct LockGuard {
    let service: ApplyService
    let holder: LockHolder

    static func take(_ service: ApplyService, command: String, wait: Duration) async throws -> LockGuard {
        do {
            let (holder, previous) = try await service.lock(command: command, wait: wait)
            if let previous {
                Terminal.standardError("ballast: warning: took over the state lock left by \(previous.command) (pid \(previous.pid)), which is no longer running\n")
            }
            return LockGuard(service: service, holder: holder)
        } catch {
            Terminal.standardError("ballast: error: \(error)\n")
            throw ExitCode.failure
        }
    }

    func release() async {
        await service.unlock(holder)
    }

    /// Runs `body` holding the lock, and releases it whether `body` succeeds or throws.
    static func holding(_ service: ApplyService, command: String, wait: Duration, _ body: () async throws -> Void) async throws {
        let lock = try await take(service, command: command, wait: wait)
        do {
            try await body()
        } catch {
            await lock.release()
            throw error
        }
        await lock.release()
    }
}

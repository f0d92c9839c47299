import ArgumentParser
import Foundation
import BallastEngine
import BallastState

/// Holds the state lock for a run and releases it once.
struct LockGuard {
    let service: ApplyService
    let lease: HeldLease

    static func take(_ service: ApplyService, command: String, wait: Duration) async throws -> LockGuard {
        do {
            let (lease, previous) = try await service.lock(command: command, wait: wait)
            if let previous {
                let why = previous.isDead ? "which is no longer running" : "whose lease had expired"
                Terminal.standardError("ballast: warning: took over the state lock left by \(previous.command) (pid \(previous.pid)), \(why)\n")
            }
            return LockGuard(service: service, lease: lease)
        } catch StoreError.locked(let path, let holder) where holder.command == "ballast watch" {
            // A daemon holds the lock for its whole life: say so, rather than "retry".
            let who = "ballast watch (pid \(holder.pid)\(holder.host == ProcessInfo.processInfo.hostName ? "" : " on \(holder.host)"))"
            if command == "ballast watch" {
                Terminal.standardError("ballast: error: another \(who) already runs on the state \(path); one daemon per state\n")
            } else {
                Terminal.standardError("ballast: error: the state \(path) is kept by a running \(who); stop it, or ask it to act with POST /v1/reconcile\n")
            }
            throw ExitCode.failure
        } catch {
            Terminal.standardError("ballast: error: \(error)\n")
            throw ExitCode.failure
        }
    }

    func release() async {
        await service.unlock(lease)
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

import ArgumentParser
import Foundation
import BallastEngine
import BallastState

/// The CLI's side of the state lease: the engine takes, renews and releases it
/// (``ApplyService/withLease(command:wait:onTakeover:_:)``); this says what happened to a person.
enum LockGuard {
    /// Runs `body` holding the lease. A busy lock or a store that cannot be locked is printed and
    /// ends the command with status 1; errors from `body` pass through unchanged.
    static func holding<Result>(_ service: ApplyService, command: String, wait: Duration, _ body: (HeldLease) async throws -> Result) async throws -> Result {
        var started = false
        do {
            return try await service.withLease(command: command, wait: wait, onTakeover: warnTakeover) { lease in
                started = true
                return try await body(lease)
            }
        } catch let error where !started {
            throw report(error, command: command)
        }
    }

    private static func warnTakeover(_ previous: LockHolder) {
        let why = previous.isDead ? "which is no longer running" : "whose lease had expired"
        Terminal.standardError("ballast: warning: took over the state lock left by \(previous.command) (pid \(previous.pid)), \(why)\n")
    }

    private static func report(_ error: any Error, command: String) -> ExitCode {
        if case StoreError.locked(let path, let holder) = error, holder.command == "ballast watch" {
            // A daemon holds the lock for its whole life: say so, rather than "retry".
            let who = "ballast watch (pid \(holder.pid)\(holder.host == ProcessInfo.processInfo.hostName ? "" : " on \(holder.host)"))"
            if command == "ballast watch" {
                Terminal.standardError("ballast: error: another \(who) already runs on the state \(path); one daemon per state\n")
            } else {
                Terminal.standardError("ballast: error: the state \(path) is kept by a running \(who); stop it, or ask it to act with POST /v1/reconcile\n")
            }
        } else if !(error is ExitCode) {
            Terminal.standardError("ballast: error: \(error)\n")
        }
        return ExitCode.failure
    }
}

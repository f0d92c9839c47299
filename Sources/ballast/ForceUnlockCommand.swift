import ArgumentParser
import BallastState
import Foundation

/// `ballast force-unlock LOCK_ID`: removes a lease that its holder cannot release, as Terraform's
/// `force-unlock` does.
struct ForceUnlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "force-unlock",
        abstract: "Remove the state's lock by its id, when its holder cannot release it.",
        discussion: """
        The lock id is shown by 'ballast status' and in the message a locked run prints. Only the \
        lock with that id is removed. If its holder is still running (paused, or on another \
        machine), its next write is refused and it stops: it never writes after losing the lease. \
        Asks for confirmation on a terminal; pass --force otherwise.
        """
    )

    @OptionGroup var runtime: RuntimeOptions
    @Argument(help: "The lock id to remove.") var lockID: String
    @Flag(help: "Do not ask for confirmation.") var force = false

    func run() async throws {
        let context = try Runtime(runtime)
        let store = try await context.store(creating: false)
        guard let holder = try await store.lockHolder(), holder.owner == lockID else {
            Terminal.standardError("ballast: error: the state \(context.state.description) has no lock with id \(lockID)\(try await currentLockNote(store))\n")
            throw ExitCode.failure
        }
        let alive = holder.isDead ? "no longer running" : holder.expiresAt < Date() ? "its lease expired" : "it may still be running"
        try Approval.ask(
            "The lock is held by \(holder.command) (pid \(holder.pid) on \(holder.host); \(alive)). Remove it? Only 'yes' will be accepted: ",
            verb: "force-unlock", skip: force, flag: "--force")
        guard try await store.forceUnlock(owner: lockID) != nil else {
            Terminal.standardError("ballast: error: the lock \(lockID) was released or taken over meanwhile; nothing was removed\n")
            throw ExitCode.failure
        }
        Terminal.standardOutput("Removed the lock \(lockID) held by \(holder.command) (pid \(holder.pid)); its holder can no longer write.\n")
    }

    private func currentLockNote(_ store: any StateStore) async throws -> String {
        guard let holder = try await store.lockHolder() else { return " (it is not locked)" }
        return " (it is locked by \(holder.command), lock id \(holder.owner))"
    }
}

import ArgumentParser
import BallastCore
import Foundation

/// Asking for approval before changing anything.
enum Approval {
    static func confirm(autoApprove: Bool, verb: String) throws {
        if autoApprove { return }
        guard Terminal.inputIsTerminal else {
            Terminal.standardError("ballast: error: \(verb) needs confirmation, but standard input is not a terminal; pass --auto-approve to \(verb) without asking\n")
            throw ExitCode.failure
        }
        Terminal.standardOutput("\nDo you want to \(verb) these changes? Only 'yes' will be accepted: ")
        guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
            Terminal.standardOutput("\(verb.capitalized) cancelled.\n")
            throw ExitCode.failure
        }
    }

    /// The approval of deletions beyond the deletion budget: `allowed` (--allow-mass-delete), or
    /// the number of deletions typed at a terminal; --auto-approve alone is not enough. Returns
    /// the digest of the approved set.
    static func confirmMassDeletion(_ mass: MassDeletion, allowed: Bool, autoApprove: Bool) throws -> String {
        if allowed { return mass.digest }
        guard !autoApprove, Terminal.inputIsTerminal else {
            Terminal.standardError("ballast: error: \(mass.message); nothing was applied. Pass --allow-mass-delete to apply these deletions\n")
            throw ExitCode.failure
        }
        Terminal.standardOutput("\n\(mass.message).\nType the number of resources to delete (\(mass.ids.count)) to go ahead: ")
        guard readLine()?.trimmingCharacters(in: .whitespaces) == String(mass.ids.count) else {
            Terminal.standardError("ballast: error: the deletions were not confirmed; nothing was applied\n")
            throw ExitCode.failure
        }
        return mass.digest
    }
}

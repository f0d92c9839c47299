import ArgumentParser
import BallastCore
import Foundation

/// Asking for approval before changing anything.
enum Approval {
    static func confirm(autoApprove: Bool, verb: String) throws {
        try ask("\nDo you want to \(verb) these changes? Only 'yes' will be accepted: ", verb: verb, skip: autoApprove, flag: "--auto-approve")
    }

    /// Asks `question` at a terminal and goes on only on `yes`; `skip` (the `flag`) answers it in
    /// advance. Without a terminal and without the flag, it refuses and names the flag.
    static func ask(_ question: String, verb: String, skip: Bool, flag: String) throws {
        if skip { return }
        guard Terminal.inputIsTerminal else {
            Terminal.standardError("ballast: error: \(verb) needs confirmation, but standard input is not a terminal; pass \(flag) to \(verb) without asking\n")
            throw ExitCode.failure
        }
        Terminal.standardOutput(question)
        guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
            Terminal.standardOutput("\(verb.prefix(1).uppercased() + verb.dropFirst()) cancelled.\n")
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

import ArgumentParser
import BallastProviders
import Foundation

@main
struct Ballast: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ballast",
        abstract: "Declarative infrastructure reconciler for cloud, data-centre and edge sites.",
        discussion: """
        Describe sites and resources as YAML manifests; Ballast validates them, observes what \
        exists through provider adapters, and plans the changes that make the world match.
        """,
        version: "0.1.0",
        subcommands: [ValidateCommand.self, PlanCommand.self, ApplyCommand.self, DestroyCommand.self, DriftCommand.self, GetCommand.self, StatusCommand.self, WatchCommand.self, SuspendCommand.self, ResumeCommand.self, EventsCommand.self, ForgetCommand.self, ForceUnlockCommand.self, StateCommand.self, TokenCommand.self, GraphCommand.self, CostCommand.self, UnmanagedCommand.self, ImportCommand.self, SimCommand.self, ProvidersCommand.self, AgentCommand.self]
    )

    /// SIGPIPE is ignored before anything runs: a closed pipe, to a plugin or to `| head`, is
    /// an error Ballast handles (``StandardStreams``), never a silent death mid-apply.
    static func main() async {
        StandardStreams.ignoreBrokenPipeSignal()
        // However the command ends (exit codes are thrown and end in exit()), its plugins end too.
        atexit { ChildProcess.stopAll() }
        if let problem = CommandSuggestion.problem(in: CommandLine.arguments.dropFirst(), root: Ballast.configuration) {
            Terminal.standardError("ballast: error: \(problem)\n")
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        await main(nil)
    }
}

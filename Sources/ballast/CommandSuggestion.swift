import ArgumentParser
import BallastCore

/// A mistyped subcommand (`ballast plna`) gets the nearest one suggested, as a mistyped
/// manifest field does (``Suggestion``), instead of "2 unexpected arguments".
enum CommandSuggestion {
    /// The error for the first word of `arguments` that names no subcommand where one is
    /// expected, or nil when every word is fine (options and values are left to the parser).
    static func problem(in arguments: some Sequence<String>, root: CommandConfiguration) -> String? {
        var configuration = root
        var path = [root.commandName ?? "ballast"]
        for argument in arguments {
            let children = configuration.subcommands.map { Self.configuration(of: $0) }
            guard !argument.hasPrefix("-"), !children.isEmpty, configuration.defaultSubcommand == nil else { return nil }
            if argument == "help" { return nil }
            if let next = children.first(where: { $0.commandName == argument || $0.aliases.contains(argument) }) {
                configuration = next
                path.append(argument)
                continue
            }
            let names = children.compactMap(\.commandName).sorted()
            return "unknown command '\(argument)' for '\(path.joined(separator: " "))'\(Suggestion.hint(for: argument, among: names)) (commands: \(names.joined(separator: ", ")))"
        }
        return nil
    }

    /// A subcommand's configuration, named as the parser names it (from its type when the
    /// configuration gives no name).
    private static func configuration(of command: any ParsableCommand.Type) -> CommandConfiguration {
        var configuration = command.configuration
        if configuration.commandName == nil { configuration.commandName = command._commandName }
        return configuration
    }
}

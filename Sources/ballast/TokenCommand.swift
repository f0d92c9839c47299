import ArgumentParser
import BallastCore
import BallastServer
import BallastState
import Foundation

/// `ballast token create|list|revoke`: API tokens kept hashed in the state store, which every
/// watch daemon on that state accepts from their next request on.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke API tokens for the watch daemon's HTTP API.",
        discussion: """
        Tokens are stored in the state as SHA-256 digests: the token itself is printed once, by \
        'create', and never again. A daemon on the same state accepts a token from its next \
        request on, and refuses it as soon as it is revoked; no restart is needed. A read token \
        may call GET routes; an admin token may call every route. An agent token ('create --site \
        SITE') may only fetch that pull site's desired state and report for it (docs/edge.md).
        """,
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Make a token and print it on standard output (the only time it is shown).")

        @OptionGroup var runtime: RuntimeOptions
        @Argument(help: "A name to list and revoke it by: lowercase letters, digits and '-', at most 63 characters. With --site, the site's name when left out.")
        var name: String?
        @Option(help: "What it may do: read (GET routes) or admin (every route). --site makes an agent token.")
        var role: APIToken.Role?
        @Option(help: "Make an edge agent's token for this pull site: it may fetch the site's desired state and report for it, nothing else.")
        var site: String?
        @Flag(help: "Replace a token of the same name (the old one stops working).")
        var replace = false

        func validate() throws {
            if let site {
                guard NameRules.isValidName(site) else { throw ValidationError("'\(TerminalText.escaping(site))' is not a site name") }
                guard role == nil || role == .agent else { throw ValidationError("--site makes an agent token; leave out --role") }
            } else if role == .agent {
                throw ValidationError("an agent token is for one site: name it with --site SITE")
            }
            guard let name = name ?? site else { throw ValidationError("name the token: ballast token create NAME") }
            guard NameRules.isValidName(name) else {
                throw ValidationError("'\(TerminalText.escaping(name))' is not a token name: use lowercase letters, digits and '-' (at most 63 characters), starting and ending with a letter or digit")
            }
        }

        func run() async throws {
            let name = name ?? site ?? ""
            let role = site == nil ? role ?? .read : .agent
            let store = try await Runtime(runtime).store()
            if !replace, try await store.tokens().contains(where: { $0.name == name }) {
                Terminal.standardError("ballast: error: a token named '\(name)' exists; revoke it first, or pass --replace\n")
                throw ExitCode.failure
            }
            let secret = APIToken.generateSecret()
            try await store.saveToken(APIToken(name: name, digest: APIAccess.digest(secret), role: role, site: site, createdAt: Date()))
            Terminal.standardOutput(secret + "\n")
            let what = site.map { "agent token '\(name)' for site '\($0)'" } ?? "\(role.rawValue) token '\(name)'"
            Terminal.standardError("ballast: note: the \(what) is stored hashed; this is the only time it is shown\n")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the stored tokens by name (never the tokens themselves).")

        @OptionGroup var runtime: RuntimeOptions
        @Option(name: [.short, .long], help: "text or json.") var output: OutputFormat = .text

        func run() async throws {
            let tokens = try await Runtime(runtime).existingStore().tokens()
            let formatter = ISO8601DateFormatter()
            switch output {
            case .json:
                let items = tokens.map { token in
                    var fields = Fields(["name": .string(token.name), "role": .string(token.role.rawValue), "createdAt": .string(formatter.string(from: token.createdAt))])
                    if let site = token.site { fields["site"] = .string(site) }
                    return Value.map(fields)
                }
                Terminal.standardOutput(JSONText.pretty(.map(Fields(["tokens": .list(items)]))) + "\n")
            case .text:
                guard !tokens.isEmpty else {
                    Terminal.standardOutput("No tokens: make one with 'ballast token create NAME'.\n")
                    return
                }
                let width = max(4, tokens.map(\.name.count).max() ?? 0)
                let roleWidth = max(5, tokens.map(\.storedRole.count).max() ?? 0)
                Terminal.standardOutput("NAME".padding(toLength: width, withPad: " ", startingAt: 0) + "  " + "ROLE".padding(toLength: roleWidth, withPad: " ", startingAt: 0) + "  CREATED\n")
                for token in tokens {
                    Terminal.standardOutput(token.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + token.storedRole.padding(toLength: roleWidth, withPad: " ", startingAt: 0) + "  " + formatter.string(from: token.createdAt) + "\n")
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Delete tokens by name; daemons refuse them from the next request on.")

        @OptionGroup var runtime: RuntimeOptions
        @Argument(help: "Token names.") var names: [String]

        func validate() throws {
            guard !names.isEmpty else { throw ValidationError("name at least one token") }
        }

        func run() async throws {
            let store = try await Runtime(runtime).store(creating: false)
            var missing: [String] = []
            for name in names {
                if try await store.revokeToken(name: name) {
                    Terminal.standardOutput("revoked \(name)\n")
                } else {
                    missing.append(name)
                }
            }
            if !missing.isEmpty {
                Terminal.standardError("ballast: error: no token named \(missing.map { "'\($0)'" }.joined(separator: ", "))\n")
                throw ExitCode.failure
            }
        }
    }
}

extension APIToken.Role: ExpressibleByArgument {}

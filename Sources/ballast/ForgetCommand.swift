import ArgumentParser
import BallastCore
import BallastState

struct ForgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Stop managing resources without touching them (like 'terraform state rm').",
        discussion: "Removes the ids from the inventory, under the state lock. The resources themselves are left as they are; Ballast will never delete them."
    )

    @OptionGroup var runtime: RuntimeOptions
    @Argument(help: "Resource ids, Kind/name@site.") var ids: [String]
    @Option(parsing: .unconditional, help: "How long to wait for another run's lock on the state (60s, 2m).")
    var lockTimeout: String = "0s"

    func validate() throws {
        guard !ids.isEmpty else { throw ValidationError("name at least one resource id") }
        for id in ids where ResourceID(parsing: id) == nil { throw ValidationError("'\(id)' is not a resource id: write Kind/name@site") }
        try Terminal.requireDuration(lockTimeout, option: "--lock-timeout")
    }

    func run() async throws {
        let context = try Runtime(runtime)
        let store = try await context.store(creating: false)
        let service = try await context.applyService(store: store, creatingKey: false)
        var missing: [String] = []
        try await LockGuard.holding(service, command: "ballast forget", wait: Terminal.duration(lockTimeout) ?? .zero) { _ in
            let inventory = try await store.inventory()
            for text in ids {
                let id = ResourceID(parsing: text)!
                if inventory[id] == nil {
                    missing.append(text)
                    continue
                }
                try await store.remove(id)
                Terminal.standardOutput("forgot \(id) (left as it is)\n")
            }
        }
        if !missing.isEmpty {
            Terminal.standardError("ballast: error: not managed by Ballast: \(missing.joined(separator: ", "))\n")
            throw ExitCode.failure
        }
    }
}

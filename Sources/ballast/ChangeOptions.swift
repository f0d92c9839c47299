import ArgumentParser

/// Options apply and destroy share.
struct ChangeOptions: ParsableArguments {
    @Flag(help: "Apply without asking for confirmation.")
    var autoApprove = false
    @Option(help: "How many actions may run at once.")
    var parallelism: Int = 10
    @Option(help: "How long to wait for another run's lock on the state (60s, 2m; default: fail at once).")
    var lockTimeout: String = "0s"
    @Flag(help: "Apply deletions of resources no longer declared beyond the deletion budget (the larger of 10 and 20% of what is managed).")
    var allowMassDelete = false

    func validate() throws {
        guard parallelism > 0 else { throw ValidationError("--parallelism must be at least 1") }
        guard Terminal.duration(lockTimeout) != nil else { throw ValidationError("--lock-timeout takes a duration such as 30s, 2m or 500ms") }
    }

    var lockWait: Duration { Terminal.duration(lockTimeout) ?? .zero }
}

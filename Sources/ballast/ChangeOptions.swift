import ArgumentParser

/// Options apply and destroy share.
struct ChangeOptions: ParsableArguments {
    @Flag(help: "Apply without asking for confirmation.")
    var autoApprove = false
    // Unconditional: `--parallelism -1` is a value to refuse with a reason, not a missing one.
    @Option(parsing: .unconditional, help: "How many actions may run at once (1-1000).")
    var parallelism: Int = 10
    @Option(parsing: .unconditional, help: "How long to wait for another run's lock on the state (60s, 2m; default: fail at once).")
    var lockTimeout: String = "0s"
    @Flag(help: "Apply deletions of resources no longer declared beyond the deletion budget (the larger of 10 and 20% of what is managed).")
    var allowMassDelete = false
    @Flag(help: "Apply a plan that takes a blocking Budget over its limit; the override is recorded in the journal.")
    var allowOverBudget = false

    func validate() throws {
        try Terminal.requireCount(parallelism, option: "--parallelism", in: 1...1000)
        try Terminal.requireDuration(lockTimeout, option: "--lock-timeout")
    }

    var lockWait: Duration { Terminal.duration(lockTimeout) ?? .zero }
}

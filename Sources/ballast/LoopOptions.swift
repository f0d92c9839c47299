import ArgumentParser
import BallastEngine

/// The watch loop's options, shared by `watch` and `agent`: how many reconciles run at once,
/// how often everything is reconciled, and how long removals wait.
struct LoopOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Reconciles run at once.")
    var workers = 4

    @Option(parsing: .unconditional, help: "Reconcile every resource at least this often (e.g. 10m, 1h).")
    var resync = "10m"

    @Option(parsing: .unconditional, help: "Prune resources removed from the manifests only once the manifests have been unchanged this long (e.g. 10s, 1m).")
    var pruneDelay = "10s"

    func validate() throws {
        try Terminal.requireCount(workers, option: "--workers", in: 1...1000)
        try Terminal.requireDuration(resync, option: "--resync", atLeast: .seconds(1))
        try Terminal.requireDuration(pruneDelay, option: "--prune-delay")
    }

    /// Sets these options in `configuration`.
    func configure(_ configuration: inout WatchConfiguration) {
        configuration.workers = workers
        configuration.resync = Terminal.duration(resync)!
        configuration.pruneDelay = Terminal.duration(pruneDelay)!
    }
}

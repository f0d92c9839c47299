import BallastCore
import BallastProviders
import BallastState
import Foundation

/// Why an action failed, typed: what the provider said, or what the state store said when the
/// journal could not be written. It says whether trying again can help.
public enum ActionFailure: Error, Sendable, Hashable, CustomStringConvertible {
    case provider(ProviderError)
    /// The intent or outcome could not be written: nothing more was done.
    case journal(StoreError)

    public var isRetryable: Bool {
        switch self {
        case .provider(let error): error.isRetryable
        case .journal(let error): error.isRetryable
        }
    }

    public var description: String {
        switch self {
        case .provider(let error): error.description
        case .journal(let error): "could not write the journal: \(error)"
        }
    }
}

/// How one planned action ended.
public struct ActionResult: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable {
        case applied
        case failed
        case skipped
    }

    public var id: ResourceID
    public var action: Action
    public var status: Status
    public var attempts: Int
    public var duration: Duration
    /// For failed actions: the typed reason.
    public var failure: ActionFailure?
    /// For skipped actions: why.
    public var skipCause: SkipCause?

    /// Why an action was not started.
    public enum SkipCause: Sendable, Hashable {
        /// It depends on this action, which failed or was skipped.
        case dependencyFailed(ResourceID)
        /// The run lost the state's lease: it writes nothing more, and the run that took over
        /// decides what is left.
        case leaseLost
    }

    public init(id: ResourceID, action: Action, status: Status, attempts: Int = 0, duration: Duration = .zero, failure: ActionFailure? = nil, skipCause: SkipCause? = nil) {
        self.id = id
        self.action = action
        self.status = status
        self.attempts = attempts
        self.duration = duration
        self.failure = failure
        self.skipCause = skipCause
    }

    /// The failure as people read it.
    public var error: String? { failure?.description }

    /// Why it was skipped, as people read it (after "skipped: "); nil unless skipped.
    public var skipReason: String? {
        switch skipCause {
        case .dependencyFailed(let dependency): "depends on \(dependency), which did not complete"
        case .leaseLost: "this run lost the state's lease; the run that took over decides it"
        case nil: status == .skipped ? "a dependency did not complete" : nil
        }
    }

    /// For failed actions: whether trying again later can help.
    public var retryable: Bool { failure?.isRetryable ?? false }
}

/// Everything an apply did, in the order actions finished.
public struct ApplyReport: Sendable, Hashable {
    public var results: [ActionResult]

    public init(results: [ActionResult] = []) {
        self.results = results
    }

    public func count(_ status: ActionResult.Status) -> Int {
        results.count { $0.status == status }
    }

    public var succeeded: Bool { count(.failed) == 0 && count(.skipped) == 0 }

    public var summaryLine: String {
        "Apply \(succeeded ? "complete" : "incomplete"): \(count(.applied)) applied, \(count(.failed)) failed, \(count(.skipped)) skipped."
    }
}

/// Receives progress while an apply runs (the CLI prints it).
public protocol ApplyProgress: Sendable {
    /// Called when an action starts; `running` counts it.
    func started(_ id: ResourceID, action: Action, completed: Int, running: Int, total: Int)
    /// Called once per action when it ends (applied, failed or skipped).
    func finished(_ result: ActionResult, completed: Int, running: Int, total: Int)
}

public struct SilentProgress: ApplyProgress {
    public init() {}
    public func started(_ id: ResourceID, action: Action, completed: Int, running: Int, total: Int) {}
    public func finished(_ result: ActionResult, completed: Int, running: Int, total: Int) {}
}

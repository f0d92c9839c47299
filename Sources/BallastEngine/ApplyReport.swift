import BallastCore
import Foundation

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
    public var error: String?
    /// For skipped actions: the failed action that caused it.
    public var blockedBy: ResourceID?
    /// For failed actions: whether trying again later can help (the provider said so).
    public var retryable: Bool

    public init(id: ResourceID, action: Action, status: Status, attempts: Int = 0, duration: Duration = .zero, error: String? = nil, blockedBy: ResourceID? = nil, retryable: Bool = false) {
        self.id = id
        self.action = action
        self.status = status
        self.attempts = attempts
        self.duration = duration
        self.error = error
        self.blockedBy = blockedBy
        self.retryable = retryable
    }
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

/// The time source of watch mode's controller and work queue: injected, so that tests drive a
/// ``ManualClock`` instead of waiting on real time.
///
/// Instants are `ContinuousClock.Instant`s, so that pure values (breakers, the token bucket,
/// the prune gate) take them the same way whichever clock made them.
public protocol ControllerClock: Sendable {
    /// The current instant; never goes backwards.
    var now: ContinuousClock.Instant { get }
    /// Returns at `deadline` or later; throws `CancellationError` when the task is cancelled.
    func sleep(until deadline: ContinuousClock.Instant) async throws
}

extension ControllerClock {
    /// Returns after `duration` or later; throws when the task is cancelled.
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now + duration)
    }
}

/// Real time: `ContinuousClock`.
public struct SystemControllerClock: ControllerClock {
    public init() {}

    public var now: ContinuousClock.Instant { ContinuousClock.now }

    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await ContinuousClock().sleep(until: deadline)
    }
}

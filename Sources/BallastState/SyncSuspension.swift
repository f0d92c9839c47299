import Foundation

/// Syncing suspended (`ballast suspend`, `POST /v1/suspend`), as recorded in the state: who
/// asked, and when. Kept with the state, so that it survives a restart of the daemon and holds
/// for every watch replica of the state at once.
public struct SyncSuspension: Sendable, Hashable {
    /// Who asked: the API token's name, or `local` for a request on loopback without one.
    public var by: String
    public var at: Date

    public init(by: String, at: Date) {
        self.by = by
        self.at = at
    }
}

/// Where the suspension of syncing is recorded (part of every ``StateStore``).
public protocol SuspensionStore: Sendable {
    /// The suspension in force, or nil while syncing runs. Whatever any process recorded last,
    /// read fresh from the state (never a cached copy).
    func syncSuspension() async throws -> SyncSuspension?

    /// Records `suspension`, or lifts the one in force when nil; durable once this returns.
    /// Not fenced by the single-writer lease or a site lease: like API tokens, it is managed
    /// beside a running daemon, and any replica may record it.
    func setSyncSuspension(_ suspension: SyncSuspension?) async throws
}

import Foundation

/// Who holds (or wants) the single-writer lock on a state.
public struct LockHolder: Sendable, Hashable {
    /// Unique per run.
    public var owner: String
    public var pid: Int32
    public var host: String
    /// What holds it, for the message a second writer sees (`ballast apply`).
    public var command: String
    public var since: Date

    public init(owner: String = UUID().uuidString, pid: Int32 = ProcessInfo.processInfo.processIdentifier, host: String = ProcessInfo.processInfo.hostName, command: String, since: Date = Date()) {
        self.owner = owner
        self.pid = pid
        self.host = host
        self.command = command
        self.since = since
    }

    /// Whether the holding process is known to be gone (same host, no such pid).
    public var isDead: Bool {
        guard host == ProcessInfo.processInfo.hostName else { return false }
        if kill(pid, 0) == 0 { return false }
        return errno == ESRCH
    }
}

public enum LockAcquisition: Sendable, Hashable {
    case acquired
    /// The previous holder's process was gone; its lock was taken over.
    case tookOver(from: LockHolder)
}

/// Typed state store failures, each saying whether a retry can help.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    case locked(path: String, by: LockHolder)
    case unavailable(path: String, reason: String)
    case corrupt(path: String, reason: String)

    public var isRetryable: Bool {
        switch self {
        case .locked, .unavailable: true
        case .corrupt: false
        }
    }

    public var description: String {
        switch self {
        case let .locked(path, holder):
            let formatter = DateFormatter()
            formatter.dateFormat = "HH:mm:ss"
            return "state \(path) is locked by \(holder.command) (pid \(holder.pid)\(holder.host == ProcessInfo.processInfo.hostName ? "" : " on \(holder.host)")) since \(formatter.string(from: holder.since)); retry, or pass --lock-timeout 60s"
        case let .unavailable(path, reason):
            return "state \(path) cannot be used: \(reason)"
        case let .corrupt(path, reason):
            return "state \(path) is damaged: \(reason)"
        }
    }
}

import Foundation

/// Who holds (or wants) the single-writer lease on a state.
///
/// A lease has an expiry, renewed while its holder works, and an epoch that the store raises
/// each time it grants the lease. Every write a holder makes is checked against its epoch
/// (fencing): a holder that was paused past its expiry and lost the lease to another finds its
/// writes refused instead of overwriting the newer holder's.
public struct LockHolder: Sendable, Hashable {
    /// Unique per run: the lock id that `ballast force-unlock` takes.
    public var owner: String
    public var pid: Int32
    public var host: String
    /// The host's boot id: a lease taken before a reboot belongs to no running process.
    public var bootID: String
    /// The holding process's start time (clock ticks since boot): a reused pid, such as pid 1
    /// in a restarted container, has another one.
    public var startTime: UInt64
    /// What holds it, for the message a second writer sees (`ballast apply`).
    public var command: String
    public var since: Date
    /// Set by the store when it grants the lease: higher than every epoch before it.
    public var epoch: Int64
    /// When the lease lapses unless renewed; set by the store.
    public var expiresAt: Date
    /// How long a grant or renewal lasts.
    public var ttl: Duration

    public static let defaultTTL: Duration = .seconds(30)

    public init(
        owner: String = UUID().uuidString, pid: Int32 = ProcessInfo.processInfo.processIdentifier, host: String = ProcessInfo.processInfo.hostName,
        bootID: String = ProcessIdentity.bootID, startTime: UInt64? = nil, command: String, since: Date = Date(), epoch: Int64 = 0,
        expiresAt: Date = .distantFuture, ttl: Duration = LockHolder.defaultTTL
    ) {
        self.owner = owner
        self.pid = pid
        self.host = host
        self.bootID = bootID
        self.startTime = startTime ?? ProcessIdentity.startTime(of: pid) ?? 0
        self.command = command
        self.since = since
        self.epoch = epoch
        self.expiresAt = expiresAt
        self.ttl = ttl
    }

    /// Whether the holding process is known to be gone: on this host, the machine rebooted
    /// since, the pid no longer exists, or it now belongs to another process. A holder on
    /// another host is never judged this way; only its expiry frees the lease.
    public var isDead: Bool {
        guard host == ProcessInfo.processInfo.hostName else { return false }
        if !bootID.isEmpty, !ProcessIdentity.bootID.isEmpty, bootID != ProcessIdentity.bootID { return true }
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        if startTime != 0, let now = ProcessIdentity.startTime(of: pid), now != startTime { return true }
        return false
    }

    /// Whether the lease may be taken by another: its holder is gone or its lease lapsed.
    public func isFree(at now: Date) -> Bool {
        isDead || expiresAt < now
    }
}

/// What the operating system says identifies a process across pid reuse and reboots.
public enum ProcessIdentity {
    /// `/proc/sys/kernel/random/boot_id`; empty where there is none.
    public static let bootID: String = {
        guard let data = FileManager.default.contents(atPath: "/proc/sys/kernel/random/boot_id") else { return "" }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    /// Field 22 of `/proc/PID/stat`: when the process started, in clock ticks since boot.
    public static func startTime(of pid: Int32) -> UInt64? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        // The command name (field 2) is in parentheses and may hold spaces: count after it.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After ")" come field 3 (state) onwards: field 22 is index 19.
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }
}

public enum LockAcquisition: Sendable, Hashable {
    case acquired(LockHolder)
    /// The previous holder's process was gone or its lease lapsed; it was taken over.
    case tookOver(LockHolder, from: LockHolder)

    /// The lease as granted: with its epoch and expiry.
    public var lease: LockHolder {
        switch self {
        case .acquired(let lease), .tookOver(let lease, _): lease
        }
    }
}

/// Typed state store failures, each saying whether a retry can help.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    case locked(path: String, by: LockHolder)
    case unavailable(path: String, reason: String)
    case corrupt(path: String, reason: String)
    /// This process's lease expired or was taken (force-unlock, or it was paused past its expiry):
    /// it must stop writing.
    case leaseLost(path: String, holder: LockHolder)
    /// The state's schema is one this binary cannot use (written by a newer Ballast).
    case incompatible(path: String, reason: String)
    /// The database refused the request for a reason a retry does not change (no permission,
    /// a constraint): what it said is the reason.
    case refused(path: String, reason: String)
    /// A watch replica no longer holds the lease on the site it wrote for (it lapsed while the
    /// replica was paused or cut off, and another replica took the site): nothing was written,
    /// and the site's new owner acts instead.
    case siteLeaseLost(path: String, site: String, replica: String)
    /// Another live watch replica has this replica id: two processes must never act as one.
    /// Retryable: if that process is gone, its heartbeat lapses.
    case replicaIDInUse(path: String, id: String, by: String)

    public var isRetryable: Bool {
        switch self {
        case .locked, .unavailable, .replicaIDInUse: true
        case .corrupt, .leaseLost, .incompatible, .refused, .siteLeaseLost: false
        }
    }

    public var description: String {
        switch self {
        case let .locked(path, holder):
            let formatter = DateFormatter()
            formatter.dateFormat = "HH:mm:ss"
            return "state \(path) is locked by \(holder.command) (pid \(holder.pid)\(holder.host == ProcessInfo.processInfo.hostName ? "" : " on \(holder.host)")) since \(formatter.string(from: holder.since)), lock id \(holder.owner); retry, or pass --lock-timeout 60s"
        case let .unavailable(path, reason):
            return "state \(path) cannot be used: \(reason)"
        case let .corrupt(path, reason):
            return "state \(path) is damaged: \(reason)"
        case let .refused(path, reason):
            return "state \(path) refused the request: \(reason)"
        case let .incompatible(path, reason):
            return "state \(path) cannot be used by this Ballast: \(reason)"
        case let .leaseLost(path, holder):
            return "the lease on state \(path) (lock id \(holder.owner), epoch \(holder.epoch)) was lost: it expired or was taken by another run; nothing more is written by this one"
        case let .replicaIDInUse(path, id, by):
            return "another live replica of state \(path) has the replica id \(id) (\(by)); pass another --replica-id, or wait until its heartbeat lapses if it is gone"
        case let .siteLeaseLost(path, site, replica):
            return "replica \(replica) no longer holds the lease on site \(site) in state \(path): it lapsed or was taken by another replica; nothing was written, and the site's owner acts instead"
        }
    }
}

extension Duration {
    /// In seconds, for `Date` arithmetic.
    public var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A program Ballast starts (a plugin, a host script, ssh): spawned, signalled and reaped in one
/// place, so that every child gets the same guarantees.
///
/// - The child starts with no signal blocked and SIGPIPE, SIGTERM, SIGINT, SIGHUP and SIGQUIT at
///   their default actions, whatever Ballast's own threads block or ignore: it can always be
///   stopped.
/// - It inherits standard input, output and error as asked and no other descriptor of Ballast's.
/// - A thread waits for it from the start, so it never lingers as a zombie, and a signal is
///   never sent once it has exited (its pid may belong to another process by then).
public final class ChildProcess: Sendable {
    /// Where one of the child's standard streams goes.
    public enum Stream: Sendable {
        /// A new pipe; Ballast gets the other end.
        case pipe
        /// /dev/null.
        case null
        /// An open descriptor of Ballast's (duplicated into the child).
        case descriptor(Int32)
    }

    public let pid: pid_t
    /// Ballast's end of each stream spawned as `.pipe`: write to `input`, read `output` and
    /// `errors`. Close-on-exec; owned by the caller.
    public let input: Int32?
    public let output: Int32?
    public let errors: Int32?

    private struct Exit {
        var waitable = false
        var status: Int32?
    }
    private let exit = Mutex(Exit())
    private let exited = DispatchSemaphore(value: 0)

    /// The children of this process still running. Process-wide because pids are: it is what
    /// ``stopAll(grace:)`` stops when Ballast exits, and nothing else reads it.
    private static let running = Mutex<[pid_t: ChildProcess]>([:])

    /// Starts `executable` with `arguments`, in `baseEnvironment` (nil: Ballast's own) with
    /// `environment` set on top of it, in `workingDirectory` (nil: Ballast's). `onExit` runs
    /// once, on the reaper thread, with the raw wait status.
    public init(
        _ executable: String, _ arguments: [String] = [], environment: [String: String] = [:], baseEnvironment: [String: String]? = nil, workingDirectory: String? = nil,
        input: Stream = .null, output: Stream = .null, errors: Stream = .null, onExit: (@Sendable (Int32) -> Void)? = nil
    ) throws(ProviderError) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let workingDirectory {
            guard Self.changeDirectory(&actions, to: workingDirectory) else {
                throw ProviderError(.invalid, "cannot start \(executable) in \(workingDirectory): this C library has no posix_spawn_file_actions_addchdir_np")
            }
        }
        var ours: [Int32?] = [nil, nil, nil]
        var theirs: [Int32] = []
        defer { for descriptor in theirs { close(descriptor) } }
        for (target, stream) in [input, output, errors].enumerated() {
            switch stream {
            case .null:
                posix_spawn_file_actions_addopen(&actions, Int32(target), "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            case .descriptor(let descriptor):
                posix_spawn_file_actions_adddup2(&actions, descriptor, Int32(target))
            case .pipe:
                var ends: [Int32] = [0, 0]
                guard pipe(&ends) == 0 else {
                    for case let descriptor? in ours { close(descriptor) }
                    throw ProviderError(.unavailable, "cannot create a pipe: \(String(cString: strerror(errno)))")
                }
                for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
                let (child, parent) = target == 0 ? (ends[0], ends[1]) : (ends[1], ends[0])
                posix_spawn_file_actions_adddup2(&actions, child, Int32(target))
                theirs.append(child)
                ours[target] = parent
            }
        }
        Self.closeInheritedDescriptors(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var spawned: pid_t = 0
        let failure: Int32
        if environment.isEmpty && baseEnvironment == nil {
            failure = posix_spawn(&spawned, executable, &actions, &attributes, argv, environ)
        } else {
            var merged = baseEnvironment ?? ProcessInfo.processInfo.environment
            merged.merge(environment) { _, given in given }
            let envp = merged.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer { for pointer in envp { free(pointer) } }
            failure = posix_spawn(&spawned, executable, &actions, &attributes, argv, envp)
        }
        guard failure == 0 else {
            for case let descriptor? in ours { close(descriptor) }
            throw ProviderError(.unavailable, "cannot start \(executable): \(String(cString: strerror(failure)))")
        }
        pid = spawned
        self.input = ours[0]
        self.output = ours[1]
        self.errors = ours[2]
        Self.running.withLock { $0[spawned] = self }
        // The reaper keeps the child's record alive until it has exited.
        Thread { [self] in
            // Wait without reaping first: while the pid is still ours, signals may be sent.
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
            exit.withLock { $0.waitable = true }
            _ = Self.running.withLock { $0.removeValue(forKey: pid) }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            exit.withLock { $0.status = status }
            exited.signal()
            onExit?(status)
        }.start()
    }

    /// Writes all of `bytes` to the child's standard input (spawned as `.pipe`); false when the
    /// child has closed it or exited. Never raises SIGPIPE, whatever the process does with that
    /// signal: it is blocked on this thread for the write, and one it raised is taken back.
    @discardableResult
    public func writeInput(_ bytes: [UInt8]) -> Bool {
        guard let input else { return false }
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
        defer {
            // A SIGPIPE raised by the write is pending on this thread: take it before unblocking.
            var pending = sigset_t()
            sigpending(&pending)
            if sigismember(&pending, SIGPIPE) == 1 && sigismember(&previous, SIGPIPE) == 0 {
                var zero = timespec(tv_sec: 0, tv_nsec: 0)
                _ = sigtimedwait(&pipeSignal, nil, &zero)
            }
            pthread_sigmask(SIG_SETMASK, &previous, nil)
        }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(input, $0.baseAddress! + written, bytes.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            written += count
        }
        return true
    }

    /// Sends `signal` unless the child has exited.
    public func send(_ signal: Int32) {
        exit.withLock { state in
            if !state.waitable { kill(pid, signal) }
        }
    }

    /// The raw wait status once the child has exited, nil while it runs.
    public var status: Int32? { exit.withLock { $0.status } }

    public var isRunning: Bool { exit.withLock { !$0.waitable } }

    /// Blocks until the child exits or `timeout` passes; its wait status, or nil on timeout.
    @discardableResult
    public func wait(timeout: Duration? = nil) -> Int32? {
        if let status { return status }
        guard let timeout else {
            exited.wait()
            exited.signal()
            return status
        }
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        guard exited.wait(timeout: .now() + .nanoseconds(Int(max(0, nanoseconds)))) == .success else { return nil }
        exited.signal()
        return status
    }

    /// Asks the child to stop (SIGTERM), then kills it (SIGKILL) when it has not exited after
    /// `grace`, and waits for it. Returns its wait status.
    @discardableResult
    public func stop(grace: Duration = .seconds(2)) -> Int32 {
        send(SIGTERM)
        if let status = wait(timeout: grace) { return status }
        send(SIGKILL)
        return wait() ?? 0
    }

    /// Stops every child still running (SIGTERM, then SIGKILL after `grace`): called as Ballast
    /// exits, so that no plugin outlives the command that started it.
    public static func stopAll(grace: Duration = .milliseconds(500)) {
        let children = running.withLock { Array($0.values) }
        guard !children.isEmpty else { return }
        for child in children { child.send(SIGTERM) }
        let deadline = ContinuousClock.now + grace
        for child in children where child.wait(timeout: max(.zero, deadline - ContinuousClock.now)) == nil {
            child.send(SIGKILL)
        }
    }

    /// The exit code a shell would show: the status, or 128 + the signal that ended it.
    public static func exitCode(_ status: Int32) -> Int32 {
        let signalled = status & 0x7f
        return signalled == 0 ? (status >> 8) & 0xff : 128 + signalled
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), found at run time because the
    /// Swift Glibc module does not export it.
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+), found the same way.
    private typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    private static func changeDirectory(_ actions: inout posix_spawn_file_actions_t, to directory: String) -> Bool {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addchdir_np") else { return false }
        return unsafeBitCast(symbol, to: ChangeDirectory.self)(&actions, directory) == 0
    }

    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
            return
        }
        // Older C libraries: close what is open now (/proc/self/fd), except close-on-exec ones.
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap(Int32.init) where descriptor > 2 && fcntl(descriptor, F_GETFD) & FD_CLOEXEC == 0 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
    }
}
